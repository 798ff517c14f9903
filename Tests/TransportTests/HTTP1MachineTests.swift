import HTTPTypes
import NIOCore
import Testing

@testable import GatehouseTransport

@Suite("HTTP1Machines")
struct HTTP1MachineTests {
    private static let start = NIODeadline.uptimeNanoseconds(1_000_000_000_000)

    /// A `Date` value (RFC 9110's example).
    private static let date = Array("Sun, 06 Nov 1994 08:49:37 GMT".utf8)

    private static func at(_ seconds: Int64) -> NIODeadline {
        Self.start + .seconds(seconds)
    }

    @Test func timeoutMachineMovesDeadlinesWithoutRearmingTheTimer() {
        var machine = HTTP1TimeoutMachine(
            idleTimeout: .seconds(60),
            headTimeout: .seconds(30),
            bodyTimeout: .seconds(45)
        )
        #expect(machine.requestBytesPending(now: Self.at(0)) == .none)  // not started yet
        // Armed for the shorter timeout at most, so no later deadline can come before it.
        #expect(machine.start(now: Self.at(0)) == .arm(Self.at(30)))
        #expect(machine.requestBytesPending(now: Self.at(5)) == .none)
        #expect(machine.requestBytesPending(now: Self.at(6)) == .none)
        machine.requestCompleted()
        #expect(machine.responseCompleted(now: Self.at(7)) == .none)  // a deadline moved: no timer operation
        #expect(machine.timerFired(now: Self.at(30)) == .arm(Self.at(60)))  // fired early: armed again
        #expect(machine.requestBytesPending(now: Self.at(40)) == .none)
        #expect(machine.timerFired(now: Self.at(60)) == .arm(Self.at(70)))
        #expect(machine.timerFired(now: Self.at(70)) == .answerRequestTimeout)
        #expect(machine.requestBytesPending(now: Self.at(71)) == .none)
        #expect(machine.closed() == .none)  // nothing armed any more
    }

    @Test func timeoutMachineIdlesOutAndNeverTimesOutARequestBeingAnswered() {
        var machine = HTTP1TimeoutMachine(
            idleTimeout: .seconds(10),
            headTimeout: .seconds(30),
            bodyTimeout: .seconds(30)
        )
        #expect(machine.start(now: Self.at(0)) == .arm(Self.at(10)))
        #expect(machine.requestBytesPending(now: Self.at(1)) == .none)
        machine.requestCompleted()
        #expect(machine.timerFired(now: Self.at(10)) == .none)  // processing: the timer is not armed again
        #expect(machine.responseCompleted(now: Self.at(100)) == .arm(Self.at(110)))
        #expect(machine.timerFired(now: Self.at(110)) == .close)
    }

    @Test func timeoutMachineGivesTheHeadItsDeadlineAndTheBodyOneThatEveryByteMoves() {
        var machine = HTTP1TimeoutMachine(
            idleTimeout: .seconds(60),
            headTimeout: .seconds(20),
            bodyTimeout: .seconds(5)
        )
        #expect(machine.start(now: Self.at(0)) == .arm(Self.at(5)))  // the shortest timeout bounds the wait
        #expect(machine.timerFired(now: Self.at(5)) == .arm(Self.at(10)))
        #expect(machine.requestBytesPending(now: Self.at(6)) == .none)
        #expect(!machine.isReadingBody)
        #expect(machine.timerFired(now: Self.at(10)) == .arm(Self.at(15)))
        #expect(machine.headCompleted(now: Self.at(12)) == .none)  // the head took 6 s: within its 20 s
        #expect(machine.isReadingBody)
        machine.bodyBytesReceived(now: Self.at(14))
        #expect(machine.timerFired(now: Self.at(15)) == .arm(Self.at(19)))
        machine.bodyBytesReceived(now: Self.at(18))
        #expect(machine.timerFired(now: Self.at(19)) == .arm(Self.at(23)))
        #expect(machine.timerFired(now: Self.at(23)) == .answerRequestTimeout)  // 5 s without a byte
        #expect(!machine.isReadingBody)
    }

    @Test func timeoutMachineStopsTheBodyDeadlineOnceTheRequestIsComplete() {
        var machine = HTTP1TimeoutMachine(
            idleTimeout: .seconds(60),
            headTimeout: .seconds(20),
            bodyTimeout: .seconds(5)
        )
        _ = machine.start(now: Self.at(0))
        _ = machine.requestBytesPending(now: Self.at(1))
        _ = machine.headCompleted(now: Self.at(1))
        machine.requestCompleted()
        machine.bodyBytesReceived(now: Self.at(2))  // ignored: no body is being read
        #expect(machine.timerFired(now: Self.at(5)) == .none)
        #expect(machine.responseCompleted(now: Self.at(30)) == .arm(Self.at(35)))
    }

    @Test func timeoutMachineCancelsTheArmedTimerOnClose() {
        var machine = HTTP1TimeoutMachine(
            idleTimeout: .seconds(10),
            headTimeout: .seconds(30),
            bodyTimeout: .seconds(30)
        )
        #expect(machine.start(now: Self.at(0)) == .arm(Self.at(10)))
        #expect(machine.closed() == .cancel)
        #expect(machine.responseCompleted(now: Self.at(1)) == .none)
    }

    private static func head(_ text: String, maxHeadSize: Int = 1024) throws -> HTTP1RequestHead {
        var parser = HTTP1RequestParser(maxHeadSize: maxHeadSize)
        var buffer = ByteBuffer(string: text)
        switch parser.next(from: &buffer) {
        case .head(let head), .request(let head): return head
        default: throw Failure.unexpected
        }
    }

    @Test func aWholeRequestIsDispatchedAtOnceAndNumberedLikeTheOthers() throws {
        var machine = HTTP1RequestMachine(maxBodySize: 4)
        let get = try Self.head("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
        guard case .dispatch(let request, let stream) = machine.receivedRequest(get) else { throw Failure.unexpected }
        #expect(request.path == "/" && stream == StreamID(1))
        #expect(!machine.isReadingRequests)
        guard case .close = machine.receivedRequest(get) else { throw Failure.unexpected }  // one at a time
        var next = HTTP1RequestMachine(maxBodySize: 4)
        guard case .dispatch = next.receivedRequest(get) else { throw Failure.unexpected }
        guard case .write(_, let plan) = next.responseReady(.text("x"), for: StreamID(1)) else {
            throw Failure.unexpected
        }
        #expect(plan.keepAlive && next.isIdle)
        guard case .dispatch(_, let second) = next.receivedRequest(get) else { throw Failure.unexpected }
        #expect(second == StreamID(2))
    }

    @Test func requestMachineNumbersStreamsAndDropsStaleResponses() throws {
        var machine = HTTP1RequestMachine(maxBodySize: 4)
        let head = try Self.head("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n")
        guard case .none = machine.receivedHead(head) else { throw Failure.unexpected }
        guard case .none = machine.receivedBody(ByteBuffer(string: "ab")) else { throw Failure.unexpected }
        guard case .dispatch(let request, let stream) = machine.receivedEnd() else { throw Failure.unexpected }
        #expect(stream == StreamID(1))
        #expect(request.body == ByteBuffer(string: "ab"))
        #expect(!machine.isReadingRequests)
        guard case .drop = machine.responseReady(.text("x"), for: StreamID(7)) else { throw Failure.unexpected }
        guard case .write(_, let plan) = machine.responseReady(.text("x"), for: stream) else {
            throw Failure.unexpected
        }
        #expect(plan == HTTP1ResponsePlan(version: .http1_1, keepAlive: true, isHeadRequest: false))
        guard case .drop = machine.responseReady(.text("x"), for: stream) else { throw Failure.unexpected }
        guard case .none = machine.receivedHead(head) else { throw Failure.unexpected }
        guard case .refuseBody(let response, _) = machine.receivedBody(ByteBuffer(string: "abcde")) else {
            throw Failure.unexpected
        }
        #expect(response.status == .contentTooLarge)
        #expect(machine.isClosing)
        let cancelled = machine.connectionClosed()
        #expect(cancelled == nil)
    }

    @Test func requestMachineChecksExpectationThenDeclaredLength() throws {
        var machine = HTTP1RequestMachine(maxBodySize: 4)
        let teapot = try Self.head("POST / HTTP/1.1\r\nHost: h\r\nExpect: teapot\r\nContent-Length: 9\r\n\r\n")
        guard case .refuseBody(let response, let plan) = machine.receivedHead(teapot) else {
            throw Failure.unexpected
        }
        #expect(response.status == .expectationFailed)
        #expect(!plan.keepAlive)

        machine = HTTP1RequestMachine(maxBodySize: 4)
        let large = try Self.head("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
        guard case .refuseBody(let tooLarge, _) = machine.receivedHead(large) else { throw Failure.unexpected }
        #expect(tooLarge.status == .contentTooLarge)

        machine = HTTP1RequestMachine(maxBodySize: 4)
        let fits = try Self.head("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
        guard case .sendContinue = machine.receivedHead(fits) else { throw Failure.unexpected }
    }

    @Test func aSlowBodyKeepsOnlyItsOwnBytesNotTheReadBufferItCameIn() throws {
        var machine = HTTP1RequestMachine(maxBodySize: 1 << 20)
        let head = try Self.head("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\n")
        guard case .none = machine.receivedHead(head) else { throw Failure.unexpected }
        var readBuffer = ByteBuffer(repeating: 0x61, count: 64 * 1024)
        guard case .none = machine.receivedBody(readBuffer.readSlice(length: 100)!) else { throw Failure.unexpected }
        // Waiting for more: the 100 bytes are copied out of the 64 KiB read buffer they arrived in.
        machine.releaseSharedBody(maxSlack: 4)
        guard case .dispatch(let request, _) = machine.receivedEnd() else { throw Failure.unexpected }
        #expect(request.body == ByteBuffer(repeating: 0x61, count: 100))
        #expect(request.body.storageCapacity < 4 * 1024)
    }

    @Test func requestMachineTurnsAnInformationalFinalResponseInto500() throws {
        var machine = HTTP1RequestMachine(maxBodySize: 4)
        _ = machine.receivedHead(try Self.head("GET / HTTP/1.1\r\nHost: h\r\n\r\n"))
        guard case .dispatch(_, let stream) = machine.receivedEnd() else { throw Failure.unexpected }
        guard case .write(let response, _) = machine.responseReady(Response(status: .continue), for: stream) else {
            throw Failure.unexpected
        }
        #expect(response.status == .internalServerError)
    }

    @Test func inputClosedWithARequestInFlightClosesAfterItsResponse() throws {
        var machine = HTTP1RequestMachine(maxBodySize: 4)
        _ = machine.receivedHead(try Self.head("GET / HTTP/1.1\r\nHost: h\r\n\r\n"))
        guard case .dispatch(_, let stream) = machine.receivedEnd() else { throw Failure.unexpected }
        let closesNow = machine.inputClosed()
        #expect(!closesNow)
        guard case .write(_, let plan) = machine.responseReady(.text("x"), for: stream) else {
            throw Failure.unexpected
        }
        #expect(!plan.keepAlive)
    }

    @Test func quiesceClosesIdleAndFinishesInFlight() throws {
        var idle = HTTP1RequestMachine(maxBodySize: 4)
        guard case .close = idle.quiesce() else { throw Failure.unexpected }

        var busy = HTTP1RequestMachine(maxBodySize: 4)
        _ = busy.receivedHead(try Self.head("GET / HTTP/1.1\r\nHost: h\r\n\r\n"))
        guard case .none = busy.quiesce() else { throw Failure.unexpected }
        guard case .dispatch(_, let stream) = busy.receivedEnd() else { throw Failure.unexpected }
        guard case .none = busy.quiesce() else { throw Failure.unexpected }
        guard case .write(_, let plan) = busy.responseReady(.text("x"), for: stream) else {
            throw Failure.unexpected
        }
        #expect(!plan.keepAlive)
        #expect(busy.isClosing)
    }

    @Test func parseFailureIsAnsweredOnce() throws {
        var machine = HTTP1RequestMachine(maxBodySize: 4)
        guard case .reject(let response, let plan) = machine.parseFailed(.headTooLarge) else {
            throw Failure.unexpected
        }
        #expect(response.status == .requestHeaderFieldsTooLarge)
        #expect(plan == .closing)
        guard case .close = machine.parseFailed(.invalidChunk) else { throw Failure.unexpected }
    }

    @Test func responseSerializesIntoOneBuffer() {
        var buffer = ByteBuffer()
        let response = Response(
            status: .ok,
            headerFields: [.contentType: "text/plain", .connection: "upgrade", .transferEncoding: "chunked"],
            body: ByteBuffer(string: "hello")
        )
        let plan = HTTP1ResponsePlan(version: .http1_0, keepAlive: true, isHeadRequest: false)
        #expect(!response.writeHTTP1(plan, date: Self.date, into: &buffer))
        #expect(
            String(buffer: buffer)
                == "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Length: 5\r\n"
                + "Connection: keep-alive\r\n\r\nhello"
        )
        buffer.clear()
        let head = HTTP1ResponsePlan(version: .http1_1, keepAlive: false, isHeadRequest: true)
        #expect(!response.writeHTTP1(head, date: Self.date, into: &buffer))
        #expect(String(buffer: buffer).hasSuffix("Content-Length: 5\r\nConnection: close\r\n\r\n"))
        buffer.clear()
        #expect(!Response(status: .ok).writeHTTP1(.closing, date: Self.date, into: &buffer))
        #expect(
            String(buffer: buffer)
                == "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        buffer.clear()
        let large = Response(status: .ok, body: ByteBuffer(repeating: 0x61, count: Response.http1InlineBodyLimit + 1))
        #expect(large.writeHTTP1(.closing, date: Self.date, into: &buffer))  // the body is written separately
        #expect(String(buffer: buffer).hasSuffix("\r\n\r\n"))
    }

    @Test func responseKeepsItsReasonPhraseAndContentLengthAndLeavesOutForbiddenBodies() {
        var buffer = ByteBuffer()
        let keepAlive = HTTP1ResponsePlan(version: .http1_1, keepAlive: true, isHeadRequest: false)
        let custom = Response(
            status: HTTPResponse.Status(code: 299, reasonPhrase: "Fine Enough"),
            headerFields: [.contentLength: "3", .upgrade: "h2c", HTTPField.Name("X-Extra")!: "välue"],
            body: ByteBuffer(string: "abc")
        )
        #expect(!custom.writeHTTP1(keepAlive, date: Self.date, into: &buffer))
        #expect(
            String(buffer: buffer)
                == "HTTP/1.1 299 Fine Enough\r\nContent-Length: 3\r\nX-Extra: välue\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\nabc"
        )
        buffer.clear()
        let noContent = Response(status: .noContent, body: ByteBuffer(string: "dropped"))
        #expect(!noContent.writeHTTP1(keepAlive, date: Self.date, into: &buffer))
        #expect(String(buffer: buffer) == "HTTP/1.1 204 No Content\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n")
        buffer.clear()
        let atLimit = Response(status: .ok, body: ByteBuffer(repeating: 0x62, count: Response.http1InlineBodyLimit))
        #expect(!atLimit.writeHTTP1(keepAlive, date: Self.date, into: &buffer))
        #expect(
            String(buffer: buffer)
                .hasPrefix("HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nContent-Length: 16384\r\n\r\nbbb")
        )
        #expect(buffer.readableBytes == 79 + Response.http1InlineBodyLimit)
    }

    @Test func aResponseThatSetsItsOwnDateKeepsIt() {
        var buffer = ByteBuffer()
        let dated = Response(status: .ok, headerFields: [.date: "Mon, 07 Nov 1994 08:49:37 GMT"])
        _ = dated.writeHTTP1(.closing, date: Self.date, into: &buffer)
        #expect(
            String(buffer: buffer)
                == "HTTP/1.1 200 OK\r\nDate: Mon, 07 Nov 1994 08:49:37 GMT\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
    }

    @Test func sharedHeadsAreWrittenLikeAnyOtherAndForgottenOnceChanged() {
        func bytes(_ response: Response, _ plan: HTTP1ResponsePlan) -> String {
            var buffer = ByteBuffer()
            _ = response.writeHTTP1(plan, date: Self.date, into: &buffer)
            return String(buffer: buffer)
        }
        #expect(bytes(.text("x"), .closing).contains("\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"))
        let keepAlive = HTTP1ResponsePlan(version: .http1_1, keepAlive: true, isHeadRequest: false)
        let closingHTTP10 = HTTP1ResponsePlan(version: .http1_0, keepAlive: false, isHeadRequest: false)
        func plain(_ fields: HTTPFields, _ body: String) -> Response {
            Response(head: HTTPResponse(status: .ok, headerFields: fields), body: ByteBuffer(string: body))
        }
        let pairs: [(shared: Response, plain: Response)] = [
            (.text("hi"), plain([.contentType: "text/plain; charset=utf-8"], "hi")),
            (.json("{}"), plain([.contentType: "application/json"], "{}")),
            (Response(status: .ok), plain([:], "")),
        ]
        for (shared, plain) in pairs {
            #expect(shared.sharedHead != nil && plain.sharedHead == nil)
            #expect(bytes(shared, keepAlive) == bytes(plain, keepAlive))
            #expect(bytes(shared, closingHTTP10) == bytes(plain, closingHTTP10))
            #expect(bytes(shared, .closing) == bytes(plain, .closing))
        }
        #expect(Response.text("x", status: .created).sharedHead == nil)
        var changed = Response.text("x")
        changed.head.headerFields[.connection] = "close"
        #expect(changed.sharedHead == nil && changed.asksToClose)
        #expect(bytes(changed, keepAlive).contains("Content-Type: text/plain; charset=utf-8\r\n"))
        var restatused = Response.text("x")
        restatused.status = .accepted
        #expect(restatused.sharedHead == nil && restatused.status == .accepted)
        #expect(bytes(restatused, keepAlive).hasPrefix("HTTP/1.1 202 Accepted\r\n"))
    }

    private enum Failure: Error { case unexpected }
}
