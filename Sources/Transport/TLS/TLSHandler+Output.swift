import Certificates
import NIOCore

extension TLSHandler {
    /// Encrypts one plaintext write; its promise completes when the ciphertext is flushed.
    func encrypt(_ plaintext: ByteBuffer, promise: EventLoopPromise<Void>?, context: ChannelHandlerContext) {
        guard let connection = self.connection else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        switch connection.writePlaintext(plaintext) {
        case .done, .wantIO:
            if let promise { self.pendingPromises.append(promise) }
        case .closed:
            promise?.fail(ChannelError.outputClosed)
        case .failed(let detail):
            let error = TLSError(.protocolError, detail)
            promise?.fail(error)
            self.fail(context: context, error)
        }
    }

    /// Encrypts what was written during the handshake, and flushes if a flush was asked for.
    func encryptBufferedWrites(context: ChannelHandlerContext) {
        let writes = self.bufferedWrites
        self.bufferedWrites = []
        for (plaintext, promise) in writes { self.encrypt(plaintext, promise: promise, context: context) }
        if self.flushRequested {
            self.flushRequested = false
            self.sendOutput(context: context)
        }
    }

    /// Writes and flushes all pending ciphertext as one buffer, completing the promises of encrypted writes.
    func sendOutput(context: ChannelHandlerContext) {
        let promises = self.pendingPromises
        self.pendingPromises = []
        guard let output = self.connection?.drainOutput() else {
            promises.forEach { $0.succeed() }
            return
        }
        var combined: EventLoopPromise<Void>? = nil
        if promises.count == 1 {
            combined = promises[0]
        } else if !promises.isEmpty {
            let promise = context.eventLoop.makePromise(of: Void.self)
            promise.futureResult.assumeIsolated().whenComplete { result in
                promises.forEach { $0.completeWith(result) }
            }
            combined = promise
        }
        context.writeAndFlush(self.wrapOutboundOut(output), promise: combined)
    }

    /// Sends close_notify, then closes the channel.
    func closeGracefully(context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        guard case .active = self.state, let connection = self.connection else {
            context.close(promise: promise)
            return
        }
        self.state = .closed
        connection.shutdown()
        self.sendOutput(context: context)
        context.close(promise: promise)
    }

    /// Sends any pending alert, reports `error` and closes the channel.
    func fail(context: ChannelHandlerContext, _ error: TLSError) {
        if case .closed = self.state { return }
        self.state = .closed
        self.timeout?.cancel()
        self.sendOutput(context: context)
        self.failBuffered(error)
        context.fireErrorCaught(error)
        // Lingering close: send the alert and a FIN, but keep reading (and dropping) what the peer still sends
        // for a moment. Closing at once would answer the peer's in-flight bytes (its TLS 1.3 Finished, an early
        // request) with a RST, which can destroy the alert before the peer reads it.
        context.close(mode: .output, promise: nil)
        let channel = context.channel
        self.timeout = context.eventLoop.scheduleTask(in: Self.lingerTime) {
            channel.close(promise: nil)
        }
    }

    /// How long a failed connection keeps reading before it is closed for good.
    static let lingerTime: TimeAmount = .seconds(1)

    /// Fails every write not yet on the socket.
    func failBuffered(_ error: any Error) {
        let writes = self.bufferedWrites
        let promises = self.pendingPromises
        self.bufferedWrites = []
        self.pendingPromises = []
        writes.forEach { $0.1?.fail(error) }
        promises.forEach { $0.fail(error) }
    }
}

/// Classifies a handshake failure from OpenSSL's error text.
func handshakeFailureCode(_ detail: String) -> TLSError.Code {
    if detail.contains("peer did not return a certificate") || detail.contains("certificate required") {
        return .peerCertificateRequired
    }
    return .handshakeFailed
}
