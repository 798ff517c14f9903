import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Waits for the TLS handshake, then builds the connection: its facts, its actor, and the HTTP/1.1 or
/// HTTP/2 handlers that ALPN chose. Removes itself afterwards. Counts how the handshake ended (once per connection)
/// in the listener's ``ListenerMetrics``. On a plaintext listener (no TLS handler before it) it builds an HTTP/1.1
/// connection as soon as the channel is active.
final class ConnectionSetupHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private static let nextID = NIOLockedValueBox<UInt64>(0)

    private let limits: ConnectionLimits
    private let responder: any ImmediateResponder
    private let logger: Logger
    /// The listener's handshake counters; `nil` on a plaintext listener, which has no handshake.
    private let metrics: ListenerMetrics?
    /// Whether the listener speaks plain HTTP/1.1 (no TLS handler before this one).
    private let isPlaintext: Bool
    /// Whether the handshake's end was counted (an error and the close that follows it are one failure).
    private var counted = false
    private let observing: RequestObserving?

    /// Sets up a TLS connection (handshakes counted in `metrics`), or, without `metrics`, a plaintext one; requests
    /// are reported to `observing` when set.
    init(
        limits: ConnectionLimits,
        responder: any ImmediateResponder,
        logger: Logger,
        metrics: ListenerMetrics?,
        observing: RequestObserving?
    ) {
        self.limits = limits
        self.responder = responder
        self.logger = logger
        self.metrics = metrics
        self.isPlaintext = metrics == nil
        self.observing = observing
    }

    /// On a plaintext listener, sets up HTTP/1.1 at once: there is no handshake to wait for.
    func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        guard self.isPlaintext else { return }
        do {
            try self.setUp(context: context, tls: Self.plaintext)
        } catch {
            self.logger.error("connection setup failed", metadata: ["error": "\(error)"])
            context.close(promise: nil)
        }
    }

    /// A handshake error (``TLSError``: timeout, alert, protocol error) counts the handshake as failed or timed out.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let timedOut = (error as? TLSError)?.code == .handshakeTimeout
        self.countHandshake(timedOut ? .timeout : .failed)
        context.fireErrorCaught(error)
    }

    /// A connection that closes before its handshake finished failed it (unless an error already counted it).
    func channelInactive(context: ChannelHandlerContext) {
        self.countHandshake(.failed)
        context.fireChannelInactive()
    }

    private func countHandshake(_ result: ListenerMetrics.HandshakeResult) {
        guard !self.counted, let metrics = self.metrics else { return }
        self.counted = true
        metrics.count(result)
    }

    /// The facts of a plaintext connection: no TLS version, no certificate.
    private static let plaintext = TLSSessionInfo(
        protocolVersion: "",
        cipher: "",
        alpn: nil,
        peerCertificates: [],
        verifyResult: nil,
        isResumed: false
    )

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case let completed as TLSHandshakeCompleted:
            self.countHandshake(.ok(resumed: completed.info.isResumed))
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
        if !self.isPlaintext {
            // The handshake read with small fixed buffers (see `Server.handshakeReceiveBuffers`); requests may grow them.
            try context.channel.syncOptions?.setOption(.recvAllocator, value: Server.receiveBuffers)
        }
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
        // The protocol handler tells the connection when it closes (``RequestDispatcher/connectionClosed()``).
        pipeline.removeHandler(self, promise: nil)
    }
}

@available(*, unavailable)
extension ConnectionSetupHandler: Sendable {}
