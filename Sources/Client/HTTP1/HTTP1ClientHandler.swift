import GatehouseTransport
import HTTPTypes
import NIOCore

/// Sends requests as HTTP/1.1, one at a time, and completes each with its response: collected whole
/// (``ClientOutbound/collected(_:)``) or streamed (``ClientOutbound/streamed(_:)``).
///
/// Encodes requests and parses responses with the server's own HTTP/1.1 code (``HTTPRequest/writeHTTP1Head`` and
/// ``HTTP1ResponseParser``), straight on the TLS plaintext. A response that does not keep the connection alive
/// closes it; a request that gets no complete response (a streamed one: no head) within the timeout closes it too.
/// A streamed response is read from the socket only while its reader keeps up: the handler holds back `read`
/// while the reader's buffer is full.
final class HTTP1ClientHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ClientOutbound
    typealias OutboundOut = ByteBuffer

    /// A response head (status line and fields) may be this long, as NIOHTTP1's decoder allowed.
    static let maxResponseHeadSize = 80 * 1024

    let facts: ClientConnectionFacts
    let state: ClientConnectionState
    var machine = HTTP1ClientMachine()
    var parser = HTTP1ResponseParser(maxHeadSize: HTTP1ClientHandler.maxResponseHeadSize)
    /// Received bytes the parser has not consumed yet.
    private var pending = ByteBuffer()
    private var inFlight: EventLoopPromise<ClientResponse>?
    /// The streamed request in flight, if the request in flight is one.
    var streamed: HTTP1StreamedExchange?
    var timer: Scheduled<Void>?
    /// Reads held back while a streamed response's reader is behind.
    var readsPaused = false
    var readPending = false

    init(facts: ClientConnectionFacts, state: ClientConnectionState) {
        self.facts = facts
        self.state = state
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch self.unwrapOutboundIn(data) {
        case .collected(let request):
            self.send(request, context: context, promise: promise)
        case .streamed(let request):
            self.send(request, context: context, promise: promise)
        case .bodyPart(let id, let bytes):
            self.writeBodyPart(bytes, for: id, context: context, promise: promise)
        case .bodyEnd(let id):
            self.endBody(for: id, context: context, promise: promise)
        case .produceMore(let id):
            promise?.succeed()
            self.resumeReading(for: id, context: context)
        case .cancel(let id):
            promise?.succeed()
            self.cancel(id, context: context)
        }
    }

    func read(context: ChannelHandlerContext) {
        if self.readsPaused {
            self.readPending = true
        } else {
            context.read()
        }
    }

    private func send(_ request: ClientRequest, context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        switch self.machine.requestStarted() {
        case .send:
            self.inFlight = request.promise
            self.parser.expectResponse(toHead: request.head.method == .head)
            self.startTimer(context: context)
            let body = request.body ?? ByteBuffer()
            var head = context.channel.allocator.buffer(capacity: 0)
            request.head.writeHTTP1Head(bodyLength: body.readableBytes, into: &head)
            if body.readableBytes > 0 {
                context.write(self.wrapOutboundOut(head), promise: nil)
                context.write(self.wrapOutboundOut(body), promise: promise)
            } else {
                context.write(self.wrapOutboundOut(head), promise: promise)
            }
        case .reject(let error):
            promise?.fail(error)
            request.promise.fail(error)
        case .none, .complete, .fail:
            promise?.succeed()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = self.unwrapInboundIn(data)
        if case .closed = self.machine.state { return }
        guard self.machine.isAwaitingResponse else {
            if bytes.readableBytes > 0 { self.perform(self.machine.receivedUnsolicitedBytes(), context: context) }
            return
        }
        if self.pending.readableBytes == 0 {
            self.pending = bytes
        } else {
            self.pending.writeBuffer(&bytes)
        }
        self.parsePending(context: context)
    }

    /// Hands the parser's events to the machine until it needs more bytes or the response is complete.
    func parsePending(context: ChannelHandlerContext) {
        while self.machine.isAwaitingResponse {
            let event = self.parser.next(from: &self.pending)
            if case .needMoreData = event { break }
            if self.streamed != nil, self.deliverStreamed(event, context: context) { continue }
            self.perform(self.machine.received(event), context: context)
        }
        // Bytes behind a complete response were not asked for: the next request's answer cannot be told apart.
        if case .idle = self.machine.state, self.pending.readableBytes > 0 {
            self.perform(self.machine.receivedUnsolicitedBytes(), context: context)
        }
        if self.pending.readableBytes == 0 { self.pending = ByteBuffer() }  // let go of the receive buffer
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let clientError = Self.clientError(error)
        self.state.fail(clientError)
        self.perform(self.machine.connectionEnded(clientError), context: context)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.state.stopAcceptingRequests()
        // A body without Content-Length or chunked ends when the server closes (RFC 9112 §6.3).
        if self.machine.isAwaitingResponse && self.state.failure == nil && self.parser.connectionClosed() {
            self.perform(self.machine.received(.end), context: context)
        }
        self.perform(self.machine.connectionEnded(self.state.failure ?? .connectionClosed()), context: context)
        context.fireChannelInactive()
    }

    func perform(_ action: HTTP1ClientMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .none, .send, .reject:
            break
        case .complete(let head, let body, let close):
            self.timer?.cancel()
            // A request body still being sent cannot be told apart from the next request: close.
            if close || self.streamed?.isRequestBodyOpen == true {
                self.state.stopAcceptingRequests()
                context.close(promise: nil)
            }
            self.finishStreamed(context: context)
            let response = ClientResponse(head: head.response, body: body, httpVersion: .http1_1, tls: self.facts.tls)
            self.takeInFlight()?.succeed(response)
        case .fail(let error):
            self.timer?.cancel()
            self.state.stopAcceptingRequests()
            self.takeInFlight()?.fail(error)
            self.failStreamed(error)
            context.close(promise: nil)
        }
    }

    private func takeInFlight() -> EventLoopPromise<ClientResponse>? {
        defer { self.inFlight = nil }
        return self.inFlight
    }

    func startTimer(context: ChannelHandlerContext) {
        let timeout = self.facts.requestTimeout
        self.timer = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(timeout)) { [self] in
            let error = ClientError.timeout(timeout)
            self.perform(self.machine.connectionEnded(error), context: context)
        }
    }

    /// TLS and other channel errors, explained.
    static func clientError(_ error: any Error) -> ClientError {
        if let error = error as? ClientError { return error }
        if let error = error as? TLSError { return .tls(error) }
        return ClientError(.protocolError, "the HTTP/1.1 connection failed: \(error)", detail: "\(error)")
    }
}

@available(*, unavailable)
extension HTTP1ClientHandler: Sendable {}
