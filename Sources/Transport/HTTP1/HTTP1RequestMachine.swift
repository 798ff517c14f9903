import HTTPTypes
import NIOCore

/// The request side of one HTTP/1.x connection: checks each head, collects its body within the size limit, and
/// tracks the one request that is waiting for its response.
///
/// Requests are answered one at a time, in order: while one waits for its response, the handler parses nothing
/// (pipelined bytes stay buffered), so the machine never sees a second head in that state. Pure: the
/// ``HTTP1ServerHandler`` feeds it parser events and performs the actions it returns.
struct HTTP1RequestMachine {
    /// What the handler must do next.
    enum Action {
        /// Nothing yet.
        case none
        /// Write a `100 Continue` informational response, then keep reading the body.
        case sendContinue
        /// Answer with `response` and close the connection; the request is not dispatched.
        case reject(Response, HTTP1ResponsePlan)
        /// Answer with `response`, then drop what the client still sends of the refused body for a while before
        /// closing: closing on unread bytes would reset the connection, often before the client read the answer.
        case refuseBody(Response, HTTP1ResponsePlan)
        /// The request is complete: hand it to the dispatcher.
        case dispatch(Request, StreamID)
        /// A request on a streaming route: hand it to the dispatcher now, with a body source the following body
        /// pieces go into; write `100 Continue` first when `sendsContinue`.
        case dispatchStreamed(HTTPRequest, StreamID, sendsContinue: Bool)
        /// A piece of the streamed body: into the source.
        case streamBody(ByteBuffer)
        /// The streamed body is complete.
        case endStreamedBody
        /// Close the connection without answering.
        case close
    }

    /// What to do with a response the dispatcher produced.
    enum WriteAction {
        /// Write it following the plan, then close the connection unless `plan.keepAlive`.
        case write(Response, HTTP1ResponsePlan)
        /// Write it following the plan (which closes), having given up on the rest of the streamed request body:
        /// the connection drops what still arrives of it for a while, then closes.
        case writeAbandoningBody(Response, HTTP1ResponsePlan)
        /// The stream is not the one awaiting a response (cancelled or stale): drop it.
        case drop
    }

    /// What to do once a streamed response body is complete.
    enum BodyEndAction: Equatable {
        /// The exchange is over: go on with the next request, or close unless `plan.keepAlive`.
        case completed(HTTP1ResponsePlan)
        /// The response is complete but the request body is not: drop what still arrives of it, then close.
        case completedAbandoningBody
        /// Not the stream awaited: nothing.
        case none
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
        /// A request on a streaming route was dispatched at its head and its body is arriving; `isResponding` once
        /// its response's head went out and the response body streams.
        case streamingRequest(StreamID, HTTP1ResponsePlan, isResponding: Bool)
        /// The request is complete; its response's head went out and the response body streams.
        case streamingResponse(StreamID, HTTP1ResponsePlan)
        /// The connection is closing: every further input is ignored.
        case closing
    }

    private var state: State = .idle
    private var lastStream: Int32 = 0
    private let maxBodySize: Int
    /// The head of the request whose body was refused (``Action/refuseBody(_:_:)``), for its record.
    private(set) var refusedRequest: HTTPRequest?

    /// Creates the machine for a connection whose request bodies may hold at most `maxBodySize` bytes.
    init(maxBodySize: Int) {
        self.maxBodySize = maxBodySize
    }

    /// Whether request bytes should be parsed now: no request is waiting for its response and the connection is
    /// not closing.
    var isReadingRequests: Bool {
        switch self.state {
        case .idle, .receiving, .streamingRequest: true
        case .awaitingResponse, .streamingResponse, .closing: false
        }
    }

    /// Whether the connection is between requests.
    var isIdle: Bool {
        if case .idle = self.state { return true }
        return false
    }

    /// Whether a request's head was accepted and its body is arriving (collected or streamed).
    var isReceivingBody: Bool {
        switch self.state {
        case .receiving, .streamingRequest: true
        default: false
        }
    }

    /// Whether the response's head went out and its body streams: nothing else may be written.
    var isStreamingResponse: Bool {
        switch self.state {
        case .streamingRequest(_, _, isResponding: true), .streamingResponse: true
        default: false
        }
    }

    /// Whether the connection is closing, so that nothing more is read or answered.
    var isClosing: Bool {
        if case .closing = self.state { return true }
        return false
    }

    /// A request head arrived; its body follows. When `streamed`, the request is dispatched now and its body
    /// streams (``RequestBodyMode/streamed``: no `maxBodySize`).
    mutating func receivedHead(_ head: HTTP1RequestHead, streamed: Bool = false) -> Action {
        switch self.accept(head, limitsBody: !streamed) {
        case .rejected(let action):
            return action
        case .accepted(let stream, let plan) where streamed:
            self.state = .streamingRequest(stream, plan, isResponding: false)
            return .dispatchStreamed(head.request, stream, sendsContinue: head.expectation == .continue)
        case .accepted(let stream, let plan):
            // No capacity reserved from Content-Length: a peer that declares a body but never sends it costs
            // nothing.
            self.state = .receiving(Receiving(head: head.request, body: ByteBuffer(), stream: stream, plan: plan))
            return head.expectation == .continue ? .sendContinue : .none
        }
    }

    /// A whole request without a body arrived (``HTTP1RequestParser/Event/request(_:)``): accepted, it is
    /// dispatched at once.
    mutating func receivedRequest(_ head: HTTP1RequestHead) -> Action {
        switch self.accept(head) {
        case .rejected(let action):
            return action
        case .accepted(let stream, let plan):
            self.state = .awaitingResponse(stream, plan)
            return .dispatch(Request(head: head.request), stream)
        }
    }

    private enum Acceptance {
        case accepted(StreamID, HTTP1ResponsePlan)
        case rejected(Action)
    }

    /// Numbers the request and checks what can be checked from its head alone.
    private mutating func accept(_ head: HTTP1RequestHead, limitsBody: Bool = true) -> Acceptance {
        guard case .idle = self.state else {
            // The handler parses nothing while a request is in flight, so this is our own bug: fail closed.
            self.state = .closing
            return .rejected(.close)
        }
        self.lastStream = self.lastStream == Int32.max ? 1 : self.lastStream + 1
        let closing = HTTP1ResponsePlan(version: head.version, keepAlive: false, isHeadRequest: head.isHeadRequest)
        // A refused head may still be followed by its body.
        if head.expectation == .unsupported {
            self.state = .closing
            self.refusedRequest = head.request
            return .rejected(.refuseBody(.problem(status: .expectationFailed, title: "Expectation failed"), closing))
        }
        if limitsBody, case .length(let declared) = head.framing, declared > self.maxBodySize {
            self.state = .closing
            self.refusedRequest = head.request
            return .rejected(.refuseBody(.problem(status: .contentTooLarge, title: "Content too large"), closing))
        }
        let plan = HTTP1ResponsePlan(
            version: head.version,
            keepAlive: head.keepAlive && !head.asksToUpgrade,
            isHeadRequest: head.isHeadRequest
        )
        return .accepted(StreamID(self.lastStream), plan)
    }

    /// A piece of the current request's body arrived.
    mutating func receivedBody(_ chunk: ByteBuffer) -> Action {
        if case .streamingRequest = self.state { return .streamBody(chunk) }
        guard case .receiving(var receiving) = self.state else { return .none }
        guard receiving.body.readableBytes + chunk.readableBytes <= self.maxBodySize else {
            self.state = .closing
            self.refusedRequest = receiving.head
            var plan = receiving.plan
            plan.keepAlive = false
            return .refuseBody(.problem(status: .contentTooLarge, title: "Content too large"), plan)
        }
        self.state = .closing  // drop the stored copy so appending does not copy the buffer
        if receiving.body.readableBytes == 0 {
            receiving.body = chunk
        } else {
            receiving.body.writeImmutableBuffer(chunk)
        }
        self.state = .receiving(receiving)
        return .none
    }

    /// Copies the body received so far into storage of its own when it is a small slice of a much larger buffer
    /// (`maxSlack` times its size or more, such as the thread's shared read buffer), so that a body that arrives
    /// slowly pins only its own bytes.
    mutating func releaseSharedBody(maxSlack: Int) {
        guard case .receiving(var receiving) = self.state,
            receiving.body.storageCapacity > maxSlack * max(receiving.body.readableBytes, 1_024)
        else { return }
        self.state = .closing  // drop the stored copy while replacing it
        var own = ByteBuffer()
        own.writeImmutableBuffer(receiving.body)
        receiving.body = own
        self.state = .receiving(receiving)
    }

    /// The current request ended (after its body and any trailers).
    mutating func receivedEnd() -> Action {
        if case .streamingRequest(let stream, let plan, let isResponding) = self.state {
            self.state = isResponding ? .streamingResponse(stream, plan) : .awaitingResponse(stream, plan)
            return .endStreamedBody
        }
        guard case .receiving(let receiving) = self.state else { return .none }
        self.state = .awaitingResponse(receiving.stream, receiving.plan)
        return .dispatch(Request(head: receiving.head, body: receiving.body), receiving.stream)
    }

    /// The bytes could not be parsed: answer, unless the connection is already closing, then close.
    mutating func parseFailed(_ error: HTTP1ParseError) -> Action {
        switch self.state {
        case .idle, .receiving:
            self.state = .closing
            return .reject(error.response, .closing)
        case .awaitingResponse, .streamingRequest, .streamingResponse, .closing:
            // A streamed request was dispatched already: its body breaks off and the connection closes.
            self.state = .closing
            return .close
        }
    }

    /// The dispatcher produced `response` for `stream`.
    mutating func responseReady(_ response: consuming Response, for stream: StreamID) -> WriteAction {
        switch self.state {
        case .awaitingResponse(let awaited, var plan) where awaited == stream:
            let response = Self.final(response, plan: &plan)
            self.state = plan.keepAlive ? .idle : .closing
            return .write(response, plan)
        case .streamingRequest(let awaited, var plan, isResponding: false) where awaited == stream:
            let response = Self.final(response, plan: &plan)
            plan.keepAlive = false
            self.state = .closing
            return .writeAbandoningBody(response, plan)
        default:
            return .drop
        }
    }

    /// The dispatcher produced the head of `response` for `stream`, whose body streams after it.
    mutating func responseHeadReady(_ response: consuming Response, for stream: StreamID) -> WriteAction {
        switch self.state {
        case .awaitingResponse(let awaited, var plan) where awaited == stream:
            let response = Self.final(response, plan: &plan)
            self.state = .streamingResponse(stream, plan)
            return .write(response, plan)
        case .streamingRequest(let awaited, var plan, isResponding: false) where awaited == stream:
            let response = Self.final(response, plan: &plan)
            self.state = .streamingRequest(stream, plan, isResponding: true)
            return .write(response, plan)
        default:
            return .drop
        }
    }

    /// A streamed response's head went out on a connection that cannot frame its body (HTTP/1.0 without a
    /// length): the connection closes after it.
    mutating func closesAfterResponse() {
        switch self.state {
        case .streamingRequest(let stream, var plan, let isResponding):
            plan.keepAlive = false
            self.state = .streamingRequest(stream, plan, isResponding: isResponding)
        case .streamingResponse(let stream, var plan):
            plan.keepAlive = false
            self.state = .streamingResponse(stream, plan)
        default:
            break
        }
    }

    /// The streamed body of `stream`'s response is complete.
    mutating func responseBodyEnded(for stream: StreamID) -> BodyEndAction {
        switch self.state {
        case .streamingResponse(let awaited, let plan) where awaited == stream:
            self.state = plan.keepAlive ? .idle : .closing
            return .completed(plan)
        case .streamingRequest(let awaited, _, isResponding: true) where awaited == stream:
            self.state = .closing
            return .completedAbandoningBody
        default:
            return .none
        }
    }

    /// `response` as it may be sent: only a final status can end a request (anything else is our own bug,
    /// answered as one), and a response that asks to close closes.
    private static func final(_ response: consuming Response, plan: inout HTTP1ResponsePlan) -> Response {
        let kind = response.status.kind
        if kind == .informational || kind == .invalid {
            return .problem(status: .internalServerError, title: "Internal server error")
        }
        if response.asksToClose { plan.keepAlive = false }
        return response
    }

    /// The client will send nothing more (TCP half-close). Returns `true` when the connection should close now.
    mutating func inputClosed() -> Bool {
        switch self.state {
        case .awaitingResponse(let stream, var plan):
            plan.keepAlive = false
            self.state = .awaitingResponse(stream, plan)
            return false
        case .streamingResponse(let stream, var plan):
            plan.keepAlive = false
            self.state = .streamingResponse(stream, plan)
            return false
        default:
            self.state = .closing
            return true
        }
    }

    /// The server is shutting down: close an idle connection now; finish the request in flight (or arriving) and
    /// close after its response.
    mutating func quiesce() -> Action {
        switch self.state {
        case .idle:
            self.state = .closing
            return .close
        case .receiving(var receiving):
            receiving.plan.keepAlive = false
            self.state = .receiving(receiving)
            return .none
        case .awaitingResponse(let stream, var plan):
            plan.keepAlive = false
            self.state = .awaitingResponse(stream, plan)
            return .none
        case .streamingRequest(let stream, var plan, let isResponding):
            plan.keepAlive = false
            self.state = .streamingRequest(stream, plan, isResponding: isResponding)
            return .none
        case .streamingResponse(let stream, var plan):
            plan.keepAlive = false
            self.state = .streamingResponse(stream, plan)
            return .none
        case .closing:
            return .none
        }
    }

    /// The connection is ending (a timeout, an error below): nothing more is read or answered. Returns the stream
    /// the dispatcher is still working on, which must be cancelled.
    @discardableResult
    mutating func abort() -> StreamID? {
        self.connectionClosed()
    }

    /// The connection closed. Returns the stream the dispatcher is still working on, which must be cancelled.
    mutating func connectionClosed() -> StreamID? {
        defer { self.state = .closing }
        switch self.state {
        case .awaitingResponse(let stream, _), .streamingRequest(let stream, _, _), .streamingResponse(let stream, _):
            return stream
        case .idle, .receiving, .closing:
            return nil
        }
    }
}
