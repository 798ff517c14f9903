import HTTPTypes
import NIOCore

/// Enforces ``ConnectionLimits/idleTimeout`` and ``ConnectionLimits/requestHeadTimeout`` on an HTTP/1.1
/// connection.
///
/// Sits on raw bytes, below the HTTP codec, so the first bytes of a request head start the request-read timer even
/// before the head can be decoded; the 408 is therefore written as bytes. ``HTTP1ServerHandler`` reports request
/// progress with ``HTTP1TimeoutEvent`` outbound user events, which end here.
///
/// It also lets only the first `ChannelShouldQuiesceEvent` through: `HTTPServerPipelineHandler` asserts on a second.
final class HTTP1TimeoutHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var machine = HTTP1TimeoutMachine()
    private var scheduled: Scheduled<Void>?
    private var hasQuiesced = false
    private var hasExpired = false
    private let idleTimeout: TimeAmount
    private let requestReadTimeout: TimeAmount

    /// Creates the handler with the connection's timeouts.
    init(limits: ConnectionLimits) {
        self.idleTimeout = TimeAmount(limits.idleTimeout)
        self.requestReadTimeout = TimeAmount(limits.requestHeadTimeout)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // Added after the TLS handshake: the channel is usually active already.
        if context.channel.isActive {
            self.perform(self.machine.start(), context: context)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.perform(self.machine.closed(), context: context)
    }

    func channelActive(context: ChannelHandlerContext) {
        self.perform(self.machine.start(), context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.perform(self.machine.closed(), context: context)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // After a timeout the connection is closing: bytes that still arrive must not start another answer.
        guard !self.hasExpired else { return }
        self.perform(self.machine.bytesReceived(), context: context)
        context.fireChannelRead(data)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            guard !self.hasQuiesced else { return }
            self.hasQuiesced = true
        }
        context.fireUserInboundEventTriggered(event)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard let event = event as? HTTP1TimeoutEvent else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        self.perform(self.machine.received(event), context: context)
        promise?.succeed()
    }

    private func perform(_ action: HTTP1TimeoutMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            return
        case .cancel:
            self.scheduled?.cancel()
            self.scheduled = nil
        case .start(let timer):
            self.scheduled?.cancel()
            let delay = timer == .idle ? self.idleTimeout : self.requestReadTimeout
            let boundSelf = NIOLoopBound(self, eventLoop: context.eventLoop)
            let boundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
            self.scheduled = context.eventLoop.scheduleTask(in: delay) {
                boundSelf.value.expired(timer, context: boundContext.value)
            }
        }
    }

    private func expired(_ timer: HTTP1Timer, context: ChannelHandlerContext) {
        self.scheduled = nil
        switch self.machine.expired(timer) {
        case .none:
            return
        case .close:
            self.hasExpired = true
            context.close(promise: nil)
        case .answerRequestTimeout:
            self.hasExpired = true
            let response = Response.problem(status: .requestTimeout, title: "Request timeout")
            let bytes = response.http1ClosingBytes(allocator: context.channel.allocator)
            let channel = context.channel
            context.writeAndFlush(self.wrapOutboundOut(bytes)).whenComplete { _ in channel.close(promise: nil) }
        }
    }
}

@available(*, unavailable)
extension HTTP1TimeoutHandler: Sendable {}
