import HTTPTypes
import NIOCore
import Testing

@testable import GatehouseTransport

@Suite("HTTP2StreamMachine")
struct HTTP2StreamMachineTests {
    private func machine(maxBodySize: Int = 1024) -> HTTP2StreamMachine {
        HTTP2StreamMachine(maxBodySize: maxBodySize)
    }

    /// Feeds `fields` as one header block, then ends it.
    private func receiveHead(
        _ machine: inout HTTP2StreamMachine,
        _ fields: [(String, String)],
        endStream: Bool,
        maxHeaderListSize: Int = 16 * 1024
    ) -> HTTP2StreamMachine.Action {
        var head = HTTP2RequestHeadBuilder(maxHeaderListSize: maxHeaderListSize)
        for (name, value) in fields {
            Array(name.utf8).withUnsafeBufferPointer { name in
                Array(value.utf8).withUnsafeBufferPointer { head.append(name: name, value: $0) }
            }
        }
        return machine.receivedHead(head, endStream: endStream, now: .now())
    }

    private let getFields = [(":method", "GET"), (":scheme", "https"), (":authority", "a"), (":path", "/x")]

    @Test func completeHeadWithEndStreamIsDispatched() throws {
        var machine = self.machine()
        let action = self.receiveHead(&machine, self.getFields + [("accept", "*/*")], endStream: true)
        guard case .dispatch(let request) = action else {
            Issue.record("expected dispatch")
            return
        }
        #expect(request.head.path == "/x")
        #expect(request.head.headerFields[.accept] == "*/*")
        #expect(machine.isAwaitingResponse)
        guard case .cancel = machine.closed() else {
            Issue.record("an unanswered stream must be cancelled")
            return
        }
    }

    @Test(arguments: [
        [(":method", "GET"), (":scheme", "https"), (":authority", "a")],
        [(":method", "GET"), (":path", "/"), (":authority", "a")],
        [(":scheme", "https"), (":path", "/")],
        [(":method", "GET"), (":scheme", "https"), (":path", "/"), (":path", "/again")],
        [(":method", "GET"), (":scheme", "https"), ("accept", "*/*"), (":path", "/")],
        [(":method", "GET"), (":scheme", "https"), (":path", "/"), (":protocol", "websocket")],
    ])
    func missingOrInvalidPseudoHeadersAreAProtocolError(fields: [(String, String)]) {
        var machine = self.machine()
        guard case .reset(let code) = self.receiveHead(&machine, fields, endStream: true) else {
            Issue.record("expected a reset")
            return
        }
        #expect(code == .protocolError)
    }

    @Test func responseForHeadRequestCarriesNoBody() {
        var machine = self.machine()
        _ = self.receiveHead(&machine, [(":method", "HEAD"), (":scheme", "https"), (":path", "/")], endStream: true)
        guard case .submit(_, let length, let hasBody) = machine.respond(.text("hello")) else {
            Issue.record("expected submit")
            return
        }
        #expect(length == 5)
        #expect(!hasBody)
        guard case .none = machine.respond(.text("twice")) else {
            Issue.record("a second response must be ignored")
            return
        }
    }

    @Test func bodyIsReadInSlicesUntilTheEnd() {
        var machine = self.machine()
        _ = self.receiveHead(&machine, self.getFields, endStream: true)
        _ = machine.respond(.text("abcdef"))
        let first = machine.readBody(maxLength: 4)
        #expect(first.bytes == ByteBuffer(string: "abcd") && !first.isEnd)
        let second = machine.readBody(maxLength: 4)
        #expect(second.bytes == ByteBuffer(string: "ef") && second.isEnd)
        guard case .none = machine.sentEndOfStream() else {
            Issue.record("the peer had ended: no reset")
            return
        }
    }

    @Test func oversizedBodyIsAnswered413ThenDiscardedThenReset() {
        var machine = self.machine(maxBodySize: 4)
        _ = self.receiveHead(&machine, [(":method", "POST"), (":scheme", "https"), (":path", "/")], endStream: false)
        let chunk: [UInt8] = [1, 2, 3]
        let first = chunk.withUnsafeBytes { machine.receivedData($0, now: .now()) }
        guard case .none = first else {
            Issue.record("within the limit")
            return
        }
        guard case .submit(let head, _, true) = chunk.withUnsafeBytes({ machine.receivedData($0, now: .now()) }) else {
            Issue.record("expected a 413")
            return
        }
        #expect(head.status.code == 413)
        #expect(!machine.isAwaitingResponse)
        _ = machine.readBody(maxLength: 1 << 20)
        guard case .none = machine.sentEndOfStream() else {
            Issue.record("the rest of the body is read and discarded first")
            return
        }
        let rest = [UInt8](repeating: 0, count: machine.discardAllowance)
        guard case .none = rest.withUnsafeBytes({ machine.receivedData($0, now: .now()) }) else {
            Issue.record("within the discard allowance")
            return
        }
        guard case .reset(let code) = chunk.withUnsafeBytes({ machine.receivedData($0, now: .now()) }) else {
            Issue.record("expected RST_STREAM(NO_ERROR) past the allowance")
            return
        }
        #expect(code == .noError)
    }

    @Test func oversizedHeaderListIsAnswered431() {
        var machine = self.machine()
        let fields = self.getFields + [("x-big", String(repeating: "x", count: 200))]
        let action = self.receiveHead(&machine, fields, endStream: true, maxHeaderListSize: 200)
        guard case .submit(let head, _, true) = action else {
            Issue.record("expected a 431")
            return
        }
        #expect(head.status.code == 431)
    }

    @Test func silentBodyTimesOutWith408ThenTheStreamIsReset() {
        var machine = self.machine()
        let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
        var head = HTTP2RequestHeadBuilder(maxHeaderListSize: 16 * 1024)
        for (name, value) in [(":method", "POST"), (":scheme", "https"), (":path", "/")] {
            Array(name.utf8).withUnsafeBufferPointer { name in
                Array(value.utf8).withUnsafeBufferPointer { head.append(name: name, value: $0) }
            }
        }
        _ = machine.receivedHead(head, endStream: false, now: start)
        _ = [UInt8](repeating: 7, count: 10).withUnsafeBytes { machine.receivedData($0, now: start + .seconds(5)) }
        #expect(machine.bufferedBodyBytes == 10)
        #expect(!machine.isBodyStalled(now: start + .seconds(34), timeout: .seconds(30)))
        #expect(machine.isBodyStalled(now: start + .seconds(35), timeout: .seconds(30)))
        #expect(machine.bodyDeadline(timeout: .seconds(30)) == start + .seconds(35))
        guard case .submit(let response, _, true) = machine.bodyTimedOut() else {
            Issue.record("expected a 408")
            return
        }
        #expect(response.status.code == 408)
        #expect(machine.bufferedBodyBytes == 0)
        #expect(machine.bodyDeadline(timeout: .seconds(30)) == nil)
        _ = machine.readBody(maxLength: 1 << 20)
        guard case .reset(let code) = machine.sentEndOfStream() else {
            Issue.record("the stream is reset once the 408 went out")
            return
        }
        #expect(code == .noError)
    }

    @Test func refusingABodyDropsItWithRefusedStream() {
        var machine = self.machine()
        _ = self.receiveHead(&machine, [(":method", "PUT"), (":scheme", "https"), (":path", "/")], endStream: false)
        _ = [UInt8](repeating: 7, count: 100).withUnsafeBytes { machine.receivedData($0, now: .now()) }
        guard case .reset(let code) = machine.refuse() else {
            Issue.record("expected REFUSED_STREAM")
            return
        }
        #expect(code == .refusedStream)
        #expect(machine.bufferedBodyBytes == 0)
        guard case .none = machine.refuse() else {
            Issue.record("refused once")
            return
        }
    }

    @Test func skippedStreamIdentifiersAreRememberedWithinBounds() {
        var identifiers = HTTP2StreamIdentifiers()
        var accepted: [Bool] = []
        for stream: Int32 in [1, 3, 9, 3, 5, 7] { accepted.append(identifiers.beginHeaders(stream)) }
        // 3 again is trailers on an opened stream; 5 and 7 were skipped when 9 opened.
        #expect(accepted == [true, true, true, true, false, false])
        for stream in stride(from: Int32(13), through: 13 + 4 * Int32(HTTP2StreamIdentifiers.maxRanges), by: 4) {
            accepted.append(identifiers.beginHeaders(stream))
        }
        #expect(accepted.dropFirst(6).allSatisfy { $0 })
        let forgotten = identifiers.beginHeaders(5)  // the oldest range was forgotten: left to nghttp2
        let remembered = identifiers.beginHeaders(15)
        #expect(forgotten && !remembered)
    }
}
