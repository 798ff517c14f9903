import COpenSSL
import GatehouseCertificates
public import NIOCore

/// Encrypts and decrypts a channel's bytes with OpenSSL: ciphertext below, plaintext above.
///
/// Starts the handshake when the channel is active and closes the channel if it does not finish within
/// `handshakeTimeout`. On success fires ``TLSHandshakeCompleted``, then passes plaintext up. Writes are
/// gathered, then encrypted as one record and sent as one buffer on `flush`. `close` sends close_notify first;
/// the peer's close_notify closes the channel. Failures are fired as ``TLSError`` through `errorCaught`, after the
/// alert has been written, and the channel is closed.
///
/// ```swift
/// try channel.pipeline.syncOperations.addHandler(
///     TLSHandler(context: serverContext, role: .server, handshakeTimeout: .seconds(10)))
/// ```
public final class TLSHandler: ChannelDuplexHandler {
    /// Ciphertext read from the channel.
    public typealias InboundIn = ByteBuffer
    /// Plaintext passed up to the next handler.
    public typealias InboundOut = ByteBuffer
    /// Plaintext written by the handlers above.
    public typealias OutboundIn = ByteBuffer
    /// Ciphertext written to the channel.
    public typealias OutboundOut = ByteBuffer

    enum State {
        case idle
        case handshaking
        case active
        case closed
    }

    let tlsContext: TLSContext
    private let handshakeTimeout: TimeAmount
    var connection: TLSConnection?
    var state: State = .idle
    var timeout: Scheduled<Void>?
    /// Plaintext written before the handshake finished, encrypted once it does.
    var bufferedWrites: [(ByteBuffer, EventLoopPromise<Void>?)] = []
    /// Promises of writes encrypted but not yet flushed to the socket.
    var pendingPromises: [EventLoopPromise<Void>] = []
    /// Plaintext written since the last flush, encrypted as one record when the flush comes.
    var pendingPlaintext: ByteBuffer?
    /// Promises of the writes in ``pendingPlaintext``.
    var batchPromises: [EventLoopPromise<Void>] = []
    var flushRequested = false
    /// The handler right above, which takes the plaintext straight from ``readPlaintext(context:)`` instead of
    /// through `fireChannelRead` (``TLSPlaintextReader``); it sets and clears this itself.
    var directReader: (any TLSPlaintextReader)?
    /// The thread's scratch buffers (``ThreadBuffers``), looked up at first use, on the event loop.
    private lazy var buffers = ThreadBuffers.current

    /// Creates a handler; the session is created when the handler is added.
    /// - Parameters:
    ///   - context: the shared context; its role must match `role`.
    ///   - role: whether this side accepts (`.server`) or initiates (`.client`) the handshake.
    ///   - handshakeTimeout: the channel is closed if the handshake takes longer.
    public init(context: TLSContext, role: TLSContext.Role, handshakeTimeout: Duration = .seconds(10)) {
        precondition(context.role == role, "TLSHandler role \(role) needs a \(role) TLSContext")
        self.tlsContext = context
        let (seconds, attoseconds) = handshakeTimeout.components
        self.handshakeTimeout = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    // MARK: Lifecycle

    /// Creates the TLS session (closing the channel if it cannot) and starts the handshake if the channel is active.
    public func handlerAdded(context: ChannelHandlerContext) {
        do {
            self.connection = try TLSConnection(context: self.tlsContext)
        } catch {
            self.state = .closed
            context.fireErrorCaught(error)
            context.close(promise: nil)
            return
        }
        if context.channel.isActive { self.startHandshake(context: context) }
    }

    /// Cancels the handshake timeout and fails the writes not yet sent.
    public func handlerRemoved(context: ChannelHandlerContext) {
        self.directReader = nil
        self.timeout?.cancel()
        self.failBuffered(ChannelError.ioOnClosedChannel)
    }

    /// Starts the handshake and its timeout.
    public func channelActive(context: ChannelHandlerContext) {
        self.startHandshake(context: context)
        context.fireChannelActive()
    }

    /// Fails the writes not yet sent; a close during the handshake is reported as ``TLSError/Code/unexpectedEOF``.
    public func channelInactive(context: ChannelHandlerContext) {
        self.timeout?.cancel()
        if case .handshaking = self.state {
            context.fireErrorCaught(TLSError(.unexpectedEOF, "the connection closed during the handshake"))
        }
        self.state = .closed
        self.failBuffered(ChannelError.ioOnClosedChannel)
        context.fireChannelInactive()
    }

    private func startHandshake(context: ChannelHandlerContext) {
        guard case .idle = self.state, self.connection != nil else { return }
        self.state = .handshaking
        let timeout = self.handshakeTimeout
        self.timeout = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            guard case .handshaking = self.state else { return }
            self.fail(context: context, TLSError(.handshakeTimeout, "no handshake within \(timeout)"))
        }
        self.advanceHandshake(context: context)
    }

    // MARK: Inbound

    /// Feeds ciphertext to OpenSSL, then advances the handshake or passes the decrypted plaintext up.
    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // A closed (lingering) connection drops what the peer still sends instead of buffering it unread.
        guard let connection = self.connection, self.state != .closed else { return }
        connection.feed(self.unwrapInboundIn(data))
        switch self.state {
        case .handshaking: self.advanceHandshake(context: context)
        case .active: self.readPlaintext(context: context)
        case .idle, .closed: break
        }
    }

    /// Passes the event on (to the ``directReader`` when there is one); plaintext was already passed up as each read
    /// was decrypted. A direct reader's flush and its request for the next read are done here, with this handler's
    /// own context, as the reader's `flush` and `read` through the pipeline would reach this handler.
    public func channelReadComplete(context: ChannelHandlerContext) {
        guard let reader = self.directReader else {
            context.fireChannelReadComplete()
            return
        }
        let next = reader.plaintextReadComplete()
        // As the reader's own flush: one that finds nothing to send is skipped once the handshake is done.
        if next.flushes && (!self.acceptsDirectWrites || self.hasUnflushedWrites) { self.flush(context: context) }
        if next.reads { context.read() }
    }

    private func advanceHandshake(context: ChannelHandlerContext) {
        guard let connection = self.connection else { return }
        switch connection.handshake() {
        case .done:
            self.timeout?.cancel()
            self.timeout = nil  // an idle connection keeps no timer (nor its promise)
            self.state = .active
            context.fireUserInboundEventTriggered(TLSHandshakeCompleted(info: connection.sessionInfo()))
            self.sendOutput(context: context)
            self.encryptBufferedWrites(context: context)
            // Application data (or a TLS 1.3 alert) may have arrived with the last flight.
            self.readPlaintext(context: context)
        case .wantIO:
            self.sendOutput(context: context)
        case .closed:
            self.fail(context: context, TLSError(.handshakeFailed, "the peer closed during the handshake"))
        case .failed(let failure):
            let code: TLSError.Code = failure.isPeerCertificateMissing ? .peerCertificateRequired : .handshakeFailed
            self.fail(context: context, TLSError(code, failure))
        }
    }

    private func readPlaintext(context: ChannelHandlerContext) {
        guard let connection = self.connection, case .active = self.state else { return }
        var buffer = self.buffers.take(.tlsPlaintextIn, minimumCapacity: 0)
        let status = connection.readPlaintext(into: &buffer)
        if buffer.readableBytes > 0 {
            if let reader = self.directReader {
                reader.plaintextRead(buffer)
            } else {
                context.fireChannelRead(self.wrapInboundOut(buffer))
            }
        }
        // Usually unique again by now (the next handler parsed it): the next read on this thread reuses it.
        self.buffers.recycle(buffer, as: .tlsPlaintextIn)
        // Reading can produce output (TLS 1.3 key updates, alerts).
        self.sendOutput(context: context)
        switch status {
        case .done, .wantIO:
            break
        case .closed:
            self.closeGracefully(context: context, promise: nil)
        case .failed(let failure):
            // On TLS 1.3 a server refuses a missing client certificate after the client has finished its handshake.
            let code: TLSError.Code =
                failure.receivedAlert == .certificateRequired ? .peerCertificateRequired : .protocolError
            self.fail(context: context, TLSError(code, failure))
        }
    }

    // MARK: Outbound

    /// Queues plaintext: held until the handshake finishes, then gathered (up to a limit) and encrypted on flush.
    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let plaintext = self.unwrapOutboundIn(data)
        switch self.state {
        case .idle, .handshaking:
            self.bufferedWrites.append((plaintext, promise))
        case .active:
            self.queuePlaintext(plaintext, promise: promise, context: context)
        case .closed:
            promise?.fail(ChannelError.ioOnClosedChannel)
        }
    }

    /// Encrypts the gathered plaintext and sends it with any pending TLS output as one buffer; during the
    /// handshake, remembered until it finishes.
    public func flush(context: ChannelHandlerContext) {
        guard case .active = self.state else {
            self.flushRequested = true
            return
        }
        self.sendOutput(context: context)
    }

    /// After the handshake, a full close sends the gathered data and close_notify first; otherwise closes at once.
    public func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard mode == .all, case .active = self.state else {
            self.state = .closed
            context.close(mode: mode, promise: promise)
            return
        }
        self.closeGracefully(context: context, promise: promise)
    }
}

@available(*, unavailable)
extension TLSHandler: Sendable {}
