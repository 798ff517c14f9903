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
        case .idle, .receiving: true
        case .awaitingResponse, .closing: false
        }
    }

    /// Whether the connection is between requests.
    var isIdle: Bool {
        if case .idle = self.state { return true }
        return false
    }

    /// Whether a request's head was accepted and its body is arriving.
    var isReceivingBody: Bool {
        if case .receiving = self.state { return true }
        return false
    }

    /// Whether the connection is closing, so that nothing more is read or answered.
    var isClosing: Bool {
        if case .closing = self.state { return true }
        return false
    }

    /// A request head arrived.
    mutating func receivedHead(_ head: HTTP1RequestHead) -> Action {
        switch self.accept(head) {
        case .rejected(let action):
            return action
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
    private mutating func accept(_ head: HTTP1RequestHead) -> Acceptance {
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
        if case .length(let declared) = head.framing, declared > self.maxBodySize {
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
        case .awaitingResponse, .closing:
            self.state = .closing
            return .close
        }
    }

    /// The dispatcher produced `response` for `stream`.
    mutating func responseReady(_ response: Response, for stream: StreamID) -> WriteAction {
        guard case .awaitingResponse(let awaited, var plan) = self.state, awaited == stream else { return .drop }
        var response = response
        let kind = response.status.kind
        if kind == .informational || kind == .invalid {
            // Only a final status can end a request; anything else is our own bug, answered as one.
            response = .problem(status: .internalServerError, title: "Internal server error")
        }
        if response.asksToClose { plan.keepAlive = false }
        self.state = plan.keepAlive ? .idle : .closing
        return .write(response, plan)
    }

    /// The client will send nothing more (TCP half-close). Returns `true` when the connection should close now.
    mutating func inputClosed() -> Bool {
        guard case .awaitingResponse(let stream, var plan) = self.state else {
            self.state = .closing
            return true
        }
        plan.keepAlive = false
        self.state = .awaitingResponse(stream, plan)
        return false
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
        case .closing:
            return .none
        }
    }

    /// The connection is ending (a timeout, an error below): nothing more is read or answered.
    mutating func abort() {
        self.state = .closing
    }

    /// The connection closed. Returns the stream the dispatcher is still working on, which must be cancelled.
    mutating func connectionClosed() -> StreamID? {
        defer { self.state = .closing }
        guard case .awaitingResponse(let stream, _) = self.state else { return nil }
        return stream
    }
}
