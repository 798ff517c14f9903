import GatehouseTransport
import NIOCore

/// Sends requests as HTTP/2 streams over one nghttp2 client session and completes each with its response,
/// collected whole or streamed.
///
/// Concurrent requests are multiplexed; nghttp2 does flow control: request bodies are pulled as the server's
/// windows allow (a streamed body's next part is taken only once the previous one is), and a stream's receive
/// window reopens as its response is consumed — at once when collected, as the reader pulls when streamed. Output
/// is drained on `flush` and after each read batch, as one write and one flush.
final class HTTP2ClientHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ClientOutbound
    typealias OutboundOut = ByteBuffer

    let facts: ClientConnectionFacts
    let state: ClientConnectionState
    var session: HTTP2ClientSession?
    var streams: [Int32: HTTP2ClientStream] = [:]
    var promises: [Int32: EventLoopPromise<ClientResponse>] = [:]
    var timers: [Int32: Scheduled<Void>] = [:]
    /// The streamed requests in flight, by stream.
    var streamed: [Int32: HTTP2StreamedExchange] = [:]
    /// The stream of each streamed request in flight.
    var streamIDs: [ExchangeID: Int32] = [:]
    var context: ChannelHandlerContext?
    /// The writers of request-body parts nghttp2 has framed, told to go on only while the channel is writable: a
    /// fast upstream keeps opening the window, so the socket, not the window, must hold an upload back.
    var framedBodyParts: [EventLoopPromise<Void>] = []

    init(facts: ClientConnectionFacts, state: ClientConnectionState) {
        self.facts = facts
        self.state = state
    }

    // MARK: Lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        guard let session = HTTP2ClientSession(userData: Unmanaged.passUnretained(self).toOpaque()) else {
            self.fail(context: context, ClientError(.protocolError, "nghttp2 could not create a session"))
            return
        }
        self.session = session
        self.flushOutput(context: context)  // the connection preface and SETTINGS
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.failAll(self.state.failure ?? .connectionClosed())
        self.session?.close()
        self.session = nil
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.state.stopAcceptingRequests()
        self.failAll(self.state.failure ?? .connectionClosed())
        self.session?.close()
        self.session = nil
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        self.releaseFramedBodyParts(context: context)
        context.fireChannelWritabilityChanged()
    }

    /// Lets the writers of framed body parts go on while the channel can take more.
    func releaseFramedBodyParts(context: ChannelHandlerContext) {
        guard context.channel.isWritable, !self.framedBodyParts.isEmpty else { return }
        let framed = self.framedBodyParts
        self.framedBodyParts = []
        for promise in framed { promise.succeed() }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.fail(context: context, HTTP1ClientHandler.clientError(error))
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if mode == .all, let session = self.session {
            session.submitGoaway()
            self.flushOutput(context: context)
        }
        context.close(mode: mode, promise: promise)
    }

    // MARK: Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch self.unwrapOutboundIn(data) {
        case .collected(let request):
            promise?.succeed()
            self.send(request, context: context)
        case .streamed(let request):
            promise?.succeed()
            self.send(request, context: context)
        case .bodyPart(let id, let bytes):
            self.writeBodyPart(bytes, for: id, promise: promise)
        case .bodyEnd(let id):
            self.endBody(for: id, promise: promise)
        case .produceMore(let id):
            promise?.succeed()
            self.resumeReading(for: id)
        case .cancel(let id):
            promise?.succeed()
            self.cancel(id)
        }
    }

    private func send(_ request: ClientRequest, context: ChannelHandlerContext) {
        guard let session = self.session, self.state.isAcceptingRequests else {
            request.promise.fail(self.state.failure ?? .connectionClosed())
            return
        }
        if let busy = self.busyError(session) {
            request.promise.fail(busy)
            return
        }
        let body = request.body ?? ByteBuffer()
        let headers = HTTP2HeaderBlock(request: request.head, bodyLength: body.readableBytes)
        switch session.submitRequest(headers: headers, hasBody: body.readableBytes > 0) {
        case .submitted(let stream):
            self.streams[stream] = HTTP2ClientStream(body: body)
            self.promises[stream] = request.promise
            self.startTimer(stream: stream, context: context)
        case .refused(let code):
            self.state.stopAcceptingRequests()
            request.promise.fail(ClientError.connectionClosed(detail: "nghttp2_submit_request: \(code)"))
        }
    }

    /// The error for one request more when the server's concurrent streams are taken and the requests queued for
    /// one are at ``ClientConnectionFacts/maxWaitingRequests``; `nil` when it may be submitted.
    func busyError(_ session: HTTP2ClientSession) -> ClientError? {
        guard let maxWaiting = self.facts.maxWaitingRequests else { return nil }
        let concurrent = session.remoteMaxConcurrentStreams
        let waiting = self.streams.count - concurrent
        guard waiting >= maxWaiting else { return nil }
        return ClientError(
            .connectionsBusy,
            "all \(concurrent) concurrent streams of the server are busy and \(waiting) requests already wait for one"
        )
    }

    func flush(context: ChannelHandlerContext) {
        self.flushOutput(context: context)
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let session = self.session else { return }
        if case .fatal(let code) = session.receive(self.unwrapInboundIn(data)) {
            self.fail(
                context: context,
                ClientError(.protocolError, "the server broke the HTTP/2 protocol (nghttp2 \(code))")
            )
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.flushOutput(context: context)
        context.fireChannelReadComplete()
    }

    // MARK: Output

    /// Drains nghttp2's output as one write and one flush; closes the channel once the session is done.
    func flushOutput(context: ChannelHandlerContext) {
        guard let session = self.session else { return }
        var buffer = context.channel.allocator.buffer(capacity: 0)
        let isHealthy = session.drainOutput(into: &buffer)
        if buffer.readableBytes > 0 { context.writeAndFlush(self.wrapOutboundOut(buffer), promise: nil) }
        self.releaseFramedBodyParts(context: context)
        if !isHealthy {
            self.fail(context: context, ClientError(.protocolError, "nghttp2 could not serialise a frame"))
        } else if !session.isAlive {
            self.state.stopAcceptingRequests()
            context.close(promise: nil)
        }
    }

    func startTimer(stream: Int32, context: ChannelHandlerContext) {
        let timeout = self.facts.requestTimeout
        self.timers[stream] = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(timeout)) { [self] in
            self.timers[stream] = nil
            self.promises.removeValue(forKey: stream)?.fail(ClientError.timeout(timeout))
            self.removeStreamed(stream)?.fail(ClientError.timeout(timeout))
            self.session?.cancel(stream: stream)
            self.flushOutput(context: context)
        }
    }

    /// Records `error` as the connection's end, fails every request in flight and closes.
    private func fail(context: ChannelHandlerContext, _ error: ClientError) {
        self.state.fail(error)
        self.failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: ClientError) {
        let promises = self.promises
        self.promises = [:]
        self.streams = [:]
        for timer in self.timers.values { timer.cancel() }
        self.timers = [:]
        let streamed = self.streamed
        self.streamed = [:]
        self.streamIDs = [:]
        let framed = self.framedBodyParts
        self.framedBodyParts = []
        for promise in promises.values { promise.fail(error) }
        for exchange in streamed.values { exchange.fail(error) }
        for promise in framed { promise.fail(error) }
    }
}

@available(*, unavailable)
extension HTTP2ClientHandler: Sendable {}
