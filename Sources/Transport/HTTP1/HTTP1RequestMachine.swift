import HTTPTypes
import NIOCore
import NIOHTTP1

/// The request side of one HTTP/1.1 connection: checks each head, collects its body within the size limit, and
/// tracks the one request that is waiting for its response.
///
/// Pure: the ``HTTP1ServerHandler`` feeds it decoded parts and performs the actions it returns.
struct HTTP1RequestMachine {
    /// What the handler must do next.
    enum Action {
        /// Nothing yet.
        case none
        /// Write a `100 Continue` informational head, then keep reading the body.
        case sendContinue(HTTPVersion)
        /// Answer with `response` and close the connection; the request is not dispatched.
        case reject(Response, HTTP1ResponsePlan)
        /// The request is complete: hand it to the dispatcher.
        case dispatch(Request, StreamID)
        /// Close the connection without answering.
        case close
    }

    /// What to do with a response the dispatcher produced.
    enum WriteAction {
        /// Write it following the plan, then close the connection unless `plan.keepAlive`.
        case write(Response, HTTP1ResponsePlan)
        /// The stream is not the one awaiting a response (cancelled or stale): drop it.
        case drop
    }

    private struct Receiving {
        var head: HTTPRequest
        var body: ByteBuffer
        var stream: StreamID
        var plan: HTTP1ResponsePlan
    }

    private enum State {
        /// Waiting for the next request head.
        case idle
        /// A head was accepted; its body is arriving.
        case receiving(Receiving)
        /// The request was dispatched; its response has not been written yet.
        case awaitingResponse(StreamID, HTTP1ResponsePlan)
        /// The client closed its side while a request was in flight: answer it, then close.
        case awaitingResponseThenClose(StreamID, HTTP1ResponsePlan)
        /// The connection is closing: every further input is ignored.
        case closing
    }

    private var state: State = .idle
    private var lastStream: Int32 = 0
    private let maxBodySize: Int

    /// Creates the machine for a connection whose request bodies may hold at most `maxBodySize` bytes.
    init(maxBodySize: Int) {
        self.maxBodySize = maxBodySize
    }

    /// A request head arrived.
    mutating func receivedHead(_ head: HTTPRequestHead) -> Action {
        switch self.state {
        case .idle:
            break
        case .closing:
            return .none
        case .receiving, .awaitingResponse, .awaitingResponseThenClose:
            // HTTPServerPipelineHandler delivers one request at a time, so this is a bug below us: fail closed.
            self.state = .closing
            return .close
        }
        self.lastStream = self.lastStream == Int32.max ? 1 : self.lastStream + 1
        switch self.check(head) {
        case .rejected(let response, let plan):
            self.state = .closing
            return .reject(response, plan)
        case .accepted(let request, let plan, let sendsContinue):
            let stream = StreamID(self.lastStream)
            // No capacity reserved from Content-Length: a peer that declares a body but never sends it costs nothing.
            self.state = .receiving(Receiving(head: request, body: ByteBuffer(), stream: stream, plan: plan))
            return sendsContinue ? .sendContinue(head.version) : .none
        }
    }

    private enum HeadCheck {
        case accepted(HTTPRequest, HTTP1ResponsePlan, sendsContinue: Bool)
        case rejected(Response, HTTP1ResponsePlan)
    }

    /// Checks version, head syntax, expectation and declared length, in that order.
    private func check(_ head: HTTPRequestHead) -> HeadCheck {
        let isHeadRequest = head.method == .HEAD
        let closing = HTTP1ResponsePlan(version: head.version, keepAlive: false, isHeadRequest: isHeadRequest)
        guard head.version.major == 1 else {
            let response = Response.problem(status: .httpVersionNotSupported, title: "HTTP version not supported")
            return .rejected(response, HTTP1ResponsePlan(version: .http1_1, keepAlive: false, isHeadRequest: false))
        }
        guard let request = try? HTTPRequest(http1: head) else {
            return .rejected(.problem(status: .badRequest, title: "Bad request"), closing)
        }
        let expectation = self.expectation(of: head)
        if case .unsupported = expectation {
            return .rejected(.problem(status: .expectationFailed, title: "Expectation failed"), closing)
        }
        if let declared = head.headers.first(name: "content-length").flatMap({ Int($0) }), declared > self.maxBodySize {
            return .rejected(.problem(status: .contentTooLarge, title: "Content too large"), closing)
        }
        // The decoder stops after a request that asks for an upgrade; we never upgrade, so answer and close.
        let upgrades = http1Tokens(head.headers["connection"]).contains("upgrade") || head.method == .CONNECT
        let plan = HTTP1ResponsePlan(
            version: head.version,
            keepAlive: head.isKeepAlive && !upgrades,
            isHeadRequest: isHeadRequest
        )
        if case .continue = expectation { return .accepted(request, plan, sendsContinue: true) }
        return .accepted(request, plan, sendsContinue: false)
    }

    /// A piece of the current request's body arrived.
    mutating func receivedBody(_ chunk: ByteBuffer) -> Action {
        guard case .receiving(var receiving) = self.state else { return .none }
        guard receiving.body.readableBytes + chunk.readableBytes <= self.maxBodySize else {
            self.state = .closing
            var plan = receiving.plan
            plan.keepAlive = false
            return .reject(.problem(status: .contentTooLarge, title: "Content too large"), plan)
        }
        self.state = .closing  // drop the stored copy so appending does not copy the buffer
        if receiving.body.readableBytes == 0 && receiving.body.capacity == 0 {
            receiving.body = chunk
        } else {
            receiving.body.writeImmutableBuffer(chunk)
        }
        self.state = .receiving(receiving)
        return .none
    }

    /// The current request ended (after its body and any trailers).
    mutating func receivedEnd() -> Action {
        guard case .receiving(let receiving) = self.state else { return .none }
        self.state = .awaitingResponse(receiving.stream, receiving.plan)
        return .dispatch(Request(head: receiving.head, body: receiving.body), receiving.stream)
    }

    /// The dispatcher produced `response` for `stream`.
    mutating func responseReady(_ response: Response, for stream: StreamID) -> WriteAction {
        var plan: HTTP1ResponsePlan
        switch self.state {
        case .awaitingResponse(let awaited, let awaitedPlan) where awaited == stream:
            plan = awaitedPlan
        case .awaitingResponseThenClose(let awaited, let awaitedPlan) where awaited == stream:
            plan = awaitedPlan
            plan.keepAlive = false
        case .idle, .receiving, .awaitingResponse, .awaitingResponseThenClose, .closing:
            return .drop
        }
        var response = response
        if response.status.kind == .informational || response.status.kind == .invalid {
            // Only a final status can end a request; anything else is our own bug, answered as one.
            response = .problem(status: .internalServerError, title: "Internal server error")
        }
        if response.asksToClose { plan.keepAlive = false }
        self.state = plan.keepAlive ? .idle : .closing
        return .write(response, plan)
    }

    /// The client will send nothing more (TCP half-close). Returns `true` when the connection should close now.
    mutating func inputClosed() -> Bool {
        switch self.state {
        case .awaitingResponse(let stream, let plan):
            self.state = .awaitingResponseThenClose(stream, plan)
            return false
        case .awaitingResponseThenClose:
            return false
        case .idle, .receiving, .closing:
            self.state = .closing
            return true
        }
    }

    /// The connection closed. Returns the stream the dispatcher is still working on, which must be cancelled.
    mutating func connectionClosed() -> StreamID? {
        defer { self.state = .closing }
        switch self.state {
        case .awaitingResponse(let stream, _), .awaitingResponseThenClose(let stream, _):
            return stream
        case .idle, .receiving, .closing:
            return nil
        }
    }

    private enum Expectation { case none, `continue`, unsupported }

    /// RFC 9110 §10.1.1: only `100-continue` is defined; an HTTP/1.0 client's `Expect` is ignored.
    private func expectation(of head: HTTPRequestHead) -> Expectation {
        let values = head.headers["expect"]
        guard !values.isEmpty, head.version != .http1_0 else { return .none }
        return http1Tokens(values) == ["100-continue"] ? .continue : .unsupported
    }
}
