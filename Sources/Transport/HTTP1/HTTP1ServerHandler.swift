import NIOCore
import NIOHTTP1

/// Turns decoded HTTP/1.1 request parts into complete ``Request``s for the ``RequestDispatcher`` and writes their
/// ``Response``s back; the last handler of the HTTP/1.1 pipeline.
///
/// One request is in flight at a time (`HTTPServerPipelineHandler` holds pipelined ones back), numbered 1, 2, 3, …
/// on the connection. Reports request progress to ``HTTP1TimeoutHandler`` with ``HTTP1TimeoutEvent``s.
final class HTTP1ServerHandler: ChannelInboundHandler, ResponseWriter {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private var machine: HTTP1RequestMachine
    private let dispatcher: any RequestDispatcher
    private var context: ChannelHandlerContext?

    /// Creates the handler for one connection.
    init(limits: ConnectionLimits, dispatcher: any RequestDispatcher) {
        self.machine = HTTP1RequestMachine(maxBodySize: limits.maxBodySize)
        self.dispatcher = dispatcher
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.connectionEnded()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.connectionEnded()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let action: HTTP1RequestMachine.Action
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            context.triggerUserOutboundEvent(HTTP1TimeoutEvent.requestStarted, promise: nil)
            action = self.machine.receivedHead(head)
        case .body(let chunk):
            action = self.machine.receivedBody(chunk)
        case .end:
            action = self.machine.receivedEnd()
        }
        self.perform(action, context: context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event, self.machine.inputClosed() {
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// Sends the response for `stream`; ignored unless `stream` is the request awaiting its response.
    func write(_ response: Response, for stream: StreamID) {
        guard let context = self.context else { return }
        switch self.machine.responseReady(response, for: stream) {
        case .drop:
            return
        case .write(let response, let plan):
            self.send(response, plan: plan, context: context)
        }
    }

    private func perform(_ action: HTTP1RequestMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            return
        case .sendContinue(let version):
            let head = HTTPResponseHead(version: version, status: .continue)
            context.writeAndFlush(self.wrapOutboundOut(.head(head)), promise: nil)
        case .reject(let response, let plan):
            self.send(response, plan: plan, context: context)
        case .dispatch(let request, let stream):
            context.triggerUserOutboundEvent(HTTP1TimeoutEvent.requestCompleted, promise: nil)
            self.dispatcher.dispatch(request, on: stream, writer: self)
        case .close:
            context.close(promise: nil)
        }
    }

    /// Writes head, body and end, flushing once; closes after the write unless `plan.keepAlive`.
    ///
    /// The machine has already moved on: writing `.end` may deliver a pipelined request re-entrantly.
    private func send(_ response: Response, plan: HTTP1ResponsePlan, context: ChannelHandlerContext) {
        // Before the writes, so a re-entrantly delivered request's events come after this one.
        context.triggerUserOutboundEvent(HTTP1TimeoutEvent.responseCompleted, promise: nil)
        let (head, body) = response.http1Parts(plan)
        context.write(self.wrapOutboundOut(.head(head)), promise: nil)
        if let body {
            context.write(self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        if plan.keepAlive {
            context.write(self.wrapOutboundOut(.end(nil)), promise: nil)
            context.flush()
        } else {
            let channel = context.channel
            context.writeAndFlush(self.wrapOutboundOut(.end(nil))).whenComplete { _ in
                channel.close(promise: nil)
            }
        }
    }

    private func connectionEnded() {
        if let stream = self.machine.connectionClosed() {
            self.dispatcher.cancel(stream)
        }
    }
}

@available(*, unavailable)
extension HTTP1ServerHandler: Sendable {}
