import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Waits for the TLS handshake, then builds the connection: its facts, its actor, and the HTTP/1.1 or
/// HTTP/2 handlers that ALPN chose. Removes itself afterwards.
final class ConnectionSetupHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private static let nextID = NIOLockedValueBox<UInt64>(0)

    private let limits: ConnectionLimits
    private let responder: any ImmediateResponder
    private let logger: Logger
    private let observing: RequestObserving?

    init(limits: ConnectionLimits, responder: any ImmediateResponder, logger: Logger, observing: RequestObserving?) {
        self.limits = limits
        self.responder = responder
        self.logger = logger
        self.observing = observing
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case let completed as TLSHandshakeCompleted:
            do {
                try self.setUp(context: context, tls: completed.info)
            } catch {
                self.logger.error("connection setup failed", metadata: ["error": "\(error)"])
                context.close(promise: nil)
            }
        case is ChannelShouldQuiesceEvent:
            // Still in the handshake: nothing in flight, close now.
            context.close(promise: nil)
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    private func setUp(context: ChannelHandlerContext, tls: TLSSessionInfo) throws {
        let httpVersion: HTTPVersionKind = tls.alpn == "h2" ? .http2 : .http1_1
        let info = ConnectionInfo(
            id: Self.nextID.withLockedValue { id in
                id &+= 1
                return id
            },
            remoteAddress: context.channel.remoteAddress,
            localAddress: context.channel.localAddress,
            httpVersion: httpVersion,
            tls: tls
        )
        let connection = Connection(
            info: info,
            eventLoop: context.eventLoop,
            responder: self.responder,
            logger: self.logger,
            observing: self.observing
        )
        let pipeline = context.pipeline.syncOperations
        switch httpVersion {
        case .http2:
            try pipeline.addHandler(
                HTTP2ServerHandler(limits: self.limits, dispatcher: connection),
                position: .after(self)
            )
        case .http1_1:
            try pipeline.configureHTTP1Server(limits: self.limits, dispatcher: connection)
        }
        context.channel.closeFuture.whenComplete { _ in
            connection.assumeIsolated { $0.closed() }
        }
        pipeline.removeHandler(self, promise: nil)
    }
}

@available(*, unavailable)
extension ConnectionSetupHandler: Sendable {}
