import GatehouseCertificates
import NIOCore

extension TLSHandler {
    /// Most plaintext gathered before it is encrypted without waiting for a flush; a larger write is encrypted
    /// as it comes, without a copy.
    static let coalescingLimit = 16_384

    /// Queues one plaintext write. Writes gathered until the next flush are encrypted with one `SSL_write`, so a
    /// response written as head, body and end leaves as one TLS record, not three. The promise completes when the
    /// ciphertext has been written to the socket.
    func queuePlaintext(_ plaintext: ByteBuffer, promise: EventLoopPromise<Void>?, context: ChannelHandlerContext) {
        if let promise { self.batchPromises.append(promise) }
        guard plaintext.readableBytes > 0 else { return }
        if var pending = self.pendingPlaintext {
            if pending.readableBytes + plaintext.readableBytes <= Self.coalescingLimit {
                self.pendingPlaintext = nil  // keep the buffer uniquely referenced while appending
                var more = plaintext
                pending.writeBuffer(&more)
                self.pendingPlaintext = pending
                return
            }
            self.encryptPending(context: context)
        }
        if plaintext.readableBytes >= Self.coalescingLimit {
            self.encrypt(plaintext, context: context)
        } else {
            self.pendingPlaintext = plaintext
        }
    }

    /// Encrypts the gathered plaintext, if any, with one `SSL_write`.
    func encryptPending(context: ChannelHandlerContext) {
        if let pending = self.pendingPlaintext {
            self.pendingPlaintext = nil
            self.encrypt(pending, context: context)
        }
        // Most writes carry no promise: skip the array work then.
        guard !self.batchPromises.isEmpty else { return }
        self.pendingPromises.append(contentsOf: self.batchPromises)
        self.batchPromises = []
    }

    /// Encrypts `plaintext` into the connection's output; a failure fails the connection and every pending write.
    private func encrypt(_ plaintext: ByteBuffer, context: ChannelHandlerContext) {
        guard let connection = self.connection else {
            self.failBuffered(ChannelError.ioOnClosedChannel)
            return
        }
        switch connection.writePlaintext(plaintext) {
        case .done, .wantIO:
            break
        case .closed:
            let promises = self.batchPromises
            self.batchPromises = []
            for promise in promises { promise.fail(ChannelError.outputClosed) }
        case .failed(let failure):
            self.fail(context: context, TLSError(.protocolError, failure))
        }
    }

    /// Queues what was written during the handshake, and flushes if a flush was asked for.
    func encryptBufferedWrites(context: ChannelHandlerContext) {
        let writes = self.bufferedWrites
        self.bufferedWrites = []
        for (plaintext, promise) in writes { self.queuePlaintext(plaintext, promise: promise, context: context) }
        if self.flushRequested {
            self.flushRequested = false
            self.sendOutput(context: context)
        }
    }

    /// Encrypts the gathered plaintext, then writes and flushes all pending ciphertext as one buffer, completing
    /// the promises of the writes it carries.
    func sendOutput(context: ChannelHandlerContext) {
        self.encryptPending(context: context)
        // A `let`: a `var` captured by the closure below would be boxed on the heap at every call.
        let promises: [EventLoopPromise<Void>]
        if self.pendingPromises.isEmpty {
            promises = []
        } else {
            promises = self.pendingPromises
            self.pendingPromises = []
        }
        guard let output = self.connection?.drainOutput() else {
            for promise in promises { promise.succeed() }
            return
        }
        var combined: EventLoopPromise<Void>? = nil
        if promises.count == 1 {
            combined = promises[0]
        } else if !promises.isEmpty {
            let promise = context.eventLoop.makePromise(of: Void.self)
            promise.futureResult.assumeIsolated().whenComplete { result in
                for promise in promises { promise.completeWith(result) }
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
        self.encryptPending(context: context)  // the data goes before close_notify
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
        // Plaintext not yet encrypted never goes out; what was encrypted goes with the alert.
        let unsent = self.batchPromises
        self.pendingPlaintext = nil
        self.batchPromises = []
        for promise in unsent { promise.fail(error) }
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
        let promises = self.pendingPromises + self.batchPromises
        self.bufferedWrites = []
        self.pendingPromises = []
        self.batchPromises = []
        self.pendingPlaintext = nil
        for write in writes { write.1?.fail(error) }
        for promise in promises { promise.fail(error) }
    }
}

extension TLSHandler {
    /// Whether plaintext can be queued with ``writeDirectly(_:context:)``: the handshake is done and the
    /// connection is not closed.
    var acceptsDirectWrites: Bool {
        if case .active = self.state { return true }
        return false
    }

    /// Whether a flush has anything to send: plaintext gathered, ciphertext not yet written, or promises waiting.
    /// The plaintext a handler above writes while it handles a read is sent when that read has been handled, so a
    /// flush at the end of the read batch usually finds nothing.
    var hasUnflushedWrites: Bool {
        self.pendingPlaintext != nil || !self.batchPromises.isEmpty || !self.pendingPromises.isEmpty
            || self.connection?.hasPendingOutput == true
    }

    /// Queues plaintext from the handler right above as `write(context:data:promise:)` does with no promise, without
    /// the pipeline's hop (wrapping in `NIOAny`, the context's dispatch, unwrapping). `context` is this handler's
    /// own; the caller checked ``acceptsDirectWrites``.
    func writeDirectly(_ plaintext: ByteBuffer, context: ChannelHandlerContext) {
        self.queuePlaintext(plaintext, promise: nil, context: context)
    }
}

/// A handler right above a ``TLSHandler`` that takes its plaintext reads as a direct call rather than as
/// `channelRead` through the pipeline (wrapping in `NIOAny`, the context's dispatch, unwrapping), and the end of a
/// read batch as a direct call rather than `channelReadComplete`: it sets itself as the TLS handler's `directReader`
/// when added and clears it when the connection ends. It is the pipeline's last handler, so the events it takes
/// this way have nowhere further to go. Errors and every other event still go through the pipeline.
protocol TLSPlaintextReader: AnyObject {
    /// Plaintext decrypted from the connection, exactly what `channelRead` would have carried.
    func plaintextRead(_ plaintext: ByteBuffer)

    /// The read batch ended, as `channelReadComplete` would have said. Returns what the TLS handler is to do for
    /// the reader next, in place of the `flush` and `read` the reader would send down the pipeline.
    func plaintextReadComplete() -> TLSReadCompletion
}

/// What a ``TLSPlaintextReader`` asks of the TLS handler below at the end of a read batch. The TLS handler does it
/// with its own context, so the reader need not reach the handler and its context (two references, each retained
/// and released around the call) for it.
struct TLSReadCompletion {
    /// Flush what the reader wrote during the batch (sent already unless it is still gathered).
    var flushes: Bool
    /// Ask for the next read, as the reader's `read(context:)` would.
    var reads: Bool
}

/// The ``TLSHandler`` right below a ``TLSPlaintextReader`` and the TLS handler's context, which the reader writes and
/// flushes through directly (``TLSHandler/writeDirectly(_:context:)``). Gatehouse's pipelines put HTTP/1.1 and HTTP/2
/// right above TLS (the setup handler between them removes itself as it adds them), so nothing sits between the two
/// that a direct call would skip.
struct TLSHandlerBelow {
    let handler: TLSHandler
    let context: ChannelHandlerContext

    /// Finds the TLS handler in the pipeline of `context` (the reader's own) and makes `reader` its direct reader;
    /// `nil` when the pipeline has no TLS handler (a plaintext listener, tests).
    init?(attaching reader: some TLSPlaintextReader, in context: ChannelHandlerContext) {
        guard let below = try? context.pipeline.syncOperations.context(handlerType: TLSHandler.self),
            let handler = below.handler as? TLSHandler
        else { return nil }
        self.handler = handler
        self.context = below
        handler.directReader = reader
    }

    /// Stops passing plaintext to `reader` directly (its connection ended).
    func detach(_ reader: some TLSPlaintextReader) {
        if self.handler.directReader === reader { self.handler.directReader = nil }
    }
}
