import HTTPTypes
import NIOCore
import NIOHTTP1
import Testing

@testable import Transport

@Suite("HTTP1Machines")
struct HTTP1MachineTests {
    @Test func timeoutMachineRunsOneTimerForEachPhase() {
        var machine = HTTP1TimeoutMachine()
        #expect(machine.bytesReceived() == .none)  // not started yet
        #expect(machine.start() == .start(.idle))
        #expect(machine.bytesReceived() == .start(.requestRead))
        #expect(machine.bytesReceived() == .none)
        #expect(machine.received(.requestStarted) == .none)
        #expect(machine.received(.requestCompleted) == .cancel)
        #expect(machine.bytesReceived() == .none)  // pipelined bytes while processing
        #expect(machine.expired(.idle) == .none)  // a stale expiry is ignored
        #expect(machine.received(.responseCompleted) == .start(.idle))
        #expect(machine.received(.requestStarted) == .start(.requestRead))
        #expect(machine.expired(.requestRead) == .answerRequestTimeout)
        #expect(machine.bytesReceived() == .none)
        #expect(machine.closed() == .cancel)
    }

    @Test func requestMachineNumbersStreamsAndDropsStaleResponses() throws {
        var machine = HTTP1RequestMachine(maxBodySize: 4)
        let head = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/", headers: ["host": "h"])
        guard case .none = machine.receivedHead(head) else { throw Failure.unexpected }
        guard case .none = machine.receivedBody(ByteBuffer(string: "ab")) else { throw Failure.unexpected }
        guard case .dispatch(let request, let stream) = machine.receivedEnd() else { throw Failure.unexpected }
        #expect(stream == StreamID(1))
        #expect(request.body == ByteBuffer(string: "ab"))
        guard case .drop = machine.responseReady(.text("x"), for: StreamID(7)) else { throw Failure.unexpected }
        guard case .write(_, let plan) = machine.responseReady(.text("x"), for: stream) else {
            throw Failure.unexpected
        }
        #expect(plan == HTTP1ResponsePlan(version: .http1_1, keepAlive: true, isHeadRequest: false))
        guard case .drop = machine.responseReady(.text("x"), for: stream) else { throw Failure.unexpected }
        guard case .none = machine.receivedHead(head) else { throw Failure.unexpected }
        guard case .reject(let response, _) = machine.receivedBody(ByteBuffer(string: "abcde")) else {
            throw Failure.unexpected
        }
        #expect(response.status == .contentTooLarge)
        let cancelled = machine.connectionClosed()
        #expect(cancelled == nil)
    }

    @Test func requestMachineTurnsAnInformationalFinalResponseInto500() throws {
        var machine = HTTP1RequestMachine(maxBodySize: 4)
        _ = machine.receivedHead(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/", headers: ["host": "h"]))
        guard case .dispatch(_, let stream) = machine.receivedEnd() else { throw Failure.unexpected }
        guard case .write(let response, _) = machine.responseReady(Response(status: .continue), for: stream) else {
            throw Failure.unexpected
        }
        #expect(response.status == .internalServerError)
    }

    @Test func inputClosedWithARequestInFlightClosesAfterItsResponse() throws {
        var machine = HTTP1RequestMachine(maxBodySize: 4)
        _ = machine.receivedHead(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/", headers: ["host": "h"]))
        guard case .dispatch(_, let stream) = machine.receivedEnd() else { throw Failure.unexpected }
        let closesNow = machine.inputClosed()
        #expect(!closesNow)
        guard case .write(_, let plan) = machine.responseReady(.text("x"), for: stream) else {
            throw Failure.unexpected
        }
        #expect(!plan.keepAlive)
    }

    @Test func invalidMethodAndFieldNamesAreRejected() {
        let badMethod = HTTPRequestHead(version: .http1_1, method: .RAW(value: "GE T"), uri: "/", headers: ["host": "h"])
        #expect(throws: HTTP1HeadError.invalidMethod) { try HTTPRequest(http1: badMethod) }
        let badField = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/", headers: ["host": "h", "b(d": "x"])
        #expect(throws: HTTP1HeadError.invalidFieldName) { try HTTPRequest(http1: badField) }
    }

    @Test func connectionListedFieldsAreDropped() throws {
        let head = HTTPRequestHead(
            version: .http1_1,
            method: .GET,
            uri: "/",
            headers: ["host": "h", "connection": "X-Hop, keep-alive", "x-hop": "1", "x-end": "2"]
        )
        let request = try HTTPRequest(http1: head)
        #expect(request.headerFields.map(\.name.canonicalName) == ["x-end"])
    }

    private enum Failure: Error { case unexpected }
}
