import HTTPTypes
import NIOCore
import Testing

@testable import GatehouseTransport

/// The HTTP/1.x request machine with streamed bodies: a streaming route's request is dispatched at its head, its
/// body is passed on piece by piece, and its response may stream while the body still arrives.
@Suite("HTTP1StreamingMachine")
struct HTTP1StreamingMachineTests {
    private enum Failure: Error { case unexpected }

    private static func head(_ text: String) throws -> HTTP1RequestHead {
        var parser = HTTP1RequestParser(maxHeadSize: 1024)
        var buffer = ByteBuffer(string: text)
        guard case .head(let head) = parser.next(from: &buffer) else { throw Failure.unexpected }
        return head
    }

    @Test func aStreamedRequestIsDispatchedAtItsHeadWithoutTheBodyLimit() throws {
        var machine = HTTP1RequestMachine(maxBodySize: 4)
        // Declares more than maxBodySize: a collected route would refuse it (413), a streaming one takes it.
        let head = try Self.head("PUT /up HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n")
        guard
            case .dispatchStreamed(let request, let stream, let sendsContinue) = machine.receivedHead(
                head,
                streamed: true
            )
        else { throw Failure.unexpected }
        #expect(request.path == "/up" && stream == StreamID(1) && sendsContinue)
        #expect(machine.isReadingRequests && machine.isReceivingBody)
        guard case .streamBody(let piece) = machine.receivedBody(ByteBuffer(string: "0123456789")) else {
            throw Failure.unexpected
        }
        #expect(piece.readableBytes == 10)
        guard case .endStreamedBody = machine.receivedEnd() else { throw Failure.unexpected }
        #expect(!machine.isReadingRequests)  // the next request waits for this one's answer
        guard case .write(_, let plan) = machine.responseReady(.text("ok"), for: stream) else {
            throw Failure.unexpected
        }
        #expect(plan.keepAlive && machine.isIdle)
    }

    @Test func aResponseMayStreamWhileTheRequestBodyStillArrives() throws {
        var machine = HTTP1RequestMachine(maxBodySize: 4)
        let head = try Self.head("POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n")
        guard case .dispatchStreamed(_, let stream, _) = machine.receivedHead(head, streamed: true) else {
            throw Failure.unexpected
        }
        guard case .write = machine.responseHeadReady(Response(head: HTTPResponse(status: .ok)), for: stream) else {
            throw Failure.unexpected
        }
        #expect(machine.isStreamingResponse && machine.isReadingRequests)
        guard case .streamBody = machine.receivedBody(ByteBuffer(string: "ab")) else { throw Failure.unexpected }
        guard case .endStreamedBody = machine.receivedEnd() else { throw Failure.unexpected }
        #expect(machine.isStreamingResponse && !machine.isReadingRequests)
        let stale = machine.responseBodyEnded(for: StreamID(9))
        #expect(stale == .none)
        guard case .completed(let plan) = machine.responseBodyEnded(for: stream) else { throw Failure.unexpected }
        #expect(plan.keepAlive && machine.isIdle)
    }

    @Test func aResponseThatEndsBeforeTheRequestBodyClosesTheConnection() throws {
        var machine = HTTP1RequestMachine(maxBodySize: 4)
        let head = try Self.head("POST /early HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\n")
        guard case .dispatchStreamed(_, let stream, _) = machine.receivedHead(head, streamed: true) else {
            throw Failure.unexpected
        }
        guard case .writeAbandoningBody(_, let plan) = machine.responseReady(.text("no"), for: stream) else {
            throw Failure.unexpected
        }
        #expect(!plan.keepAlive && machine.isClosing)

        var streaming = HTTP1RequestMachine(maxBodySize: 4)
        guard case .dispatchStreamed(_, let second, _) = streaming.receivedHead(head, streamed: true) else {
            throw Failure.unexpected
        }
        _ = streaming.responseHeadReady(Response(head: HTTPResponse(status: .ok)), for: second)
        let ended = streaming.responseBodyEnded(for: second)
        #expect(ended == .completedAbandoningBody)
        #expect(streaming.isClosing)
    }

    @Test func aClosingConnectionReportsTheStreamedRequestForCancellation() throws {
        var machine = HTTP1RequestMachine(maxBodySize: 4)
        let head = try Self.head("POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\n")
        guard case .dispatchStreamed(_, let stream, _) = machine.receivedHead(head, streamed: true) else {
            throw Failure.unexpected
        }
        // A broken chunk or a half-close mid-body: the request was dispatched, so the connection just closes.
        guard case .close = machine.parseFailed(.invalidChunk) else { throw Failure.unexpected }
        var other = HTTP1RequestMachine(maxBodySize: 4)
        _ = other.receivedHead(head, streamed: true)
        let closesNow = other.inputClosed()
        #expect(closesNow)
        #expect(other.isClosing)
        var aborted = HTTP1RequestMachine(maxBodySize: 4)
        _ = aborted.receivedHead(head, streamed: true)
        let cancelled = aborted.abort()
        #expect(cancelled == stream)
    }
}
