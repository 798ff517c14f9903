import NIOCore

/// What the nghttp2 callbacks report, applied to the stream machines. Runs inside `mem_recv` / `mem_send`,
/// so nothing here calls back into nghttp2 or the dispatcher: actions are queued in `pendingActions`.
extension HTTP2ServerHandler {
    func streamOpened(_ stream: Int32) {
        if case .draining(let lastStreamID) = self.phase, stream > lastStreamID { return }
        let now = self.now()
        self.streams.open(
            stream,
            HTTP2StreamMachine(maxBodySize: self.limits.maxBodySize),
            head: HTTP2RequestHeadBuilder(maxHeaderListSize: self.limits.maxHeaderListSize),
            now: now
        )
        self.lastProgress = now
    }

    /// A HEADERS frame begins on `stream`; false when it opens a stream the client skipped (→ PROTOCOL_ERROR).
    /// Without END_HEADERS its block waits for CONTINUATION frames, whatever stream it is on (trailers, refused).
    func beginningHeaders(_ stream: Int32, endHeaders: Bool) -> Bool {
        if !endHeaders && self.continuedBlockStartedAt == nil { self.continuedBlockStartedAt = self.now() }
        return stream % 2 == 0 || self.streamIdentifiers.beginHeaders(stream)
    }

    /// A CONTINUATION frame begins; with END_HEADERS it is the last of its block.
    func beginningContinuation(endHeaders: Bool) {
        if endHeaders { self.continuedBlockStartedAt = nil }
    }

    func receivedHeader(name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>, stream: Int32) {
        self.streams.appendHeader(name: name, value: value, to: stream)
    }

    func receivedEndOfHeaders(stream: Int32, endStream: Bool) {
        let now = self.now()
        self.lastProgress = now
        let dispatcher = self.dispatcher
        let action = self.streams.receivedEndOfHeaders(stream, endStream: endStream, now: now) { head in
            dispatcher.requestBodyMode(for: head)
        }
        if case .dispatchStreamed = action { self.attachBodySource(on: stream) }
        self.enqueue(action, on: stream)
    }

    /// Body bytes: the stream's window reopens at once (the per-request limit is ``ConnectionLimits/maxBodySize``);
    /// the connection's only when the stream lets go of them (``releaseBodyBudget()``).
    func receivedData(_ bytes: UnsafeRawBufferPointer, stream: Int32) {
        let now = self.now()
        self.lastProgress = now
        if !self.bodySources.isEmpty, self.bodySources[stream] != nil {
            self.receivedStreamedData(bytes, stream: stream, now: now)
            return
        }
        self.session?.consumeStream(stream, bytes.count)
        self.enqueue(self.streams.receivedData(bytes, on: stream, now: now), on: stream)
    }

    func receivedEndOfStream(_ stream: Int32) {
        self.lastProgress = self.now()
        if !self.bodySources.isEmpty { self.bodySources[stream]?.source.finish() }
        self.enqueue(self.streams.update(stream) { $0.receivedEndOfStream() }, on: stream)
    }

    /// A HEADERS or DATA frame of a response went out.
    func sentResponseFrame(_ stream: Int32, endStream: Bool) {
        self.sentResponseFrame = true
        guard endStream else { return }
        self.enqueue(self.streams.update(stream) { $0.sentEndOfStream() }, on: stream)
    }

    /// `stream` closed; `clientEnded` when the client had ended its side, which makes later frames on it an error.
    func streamClosed(_ stream: Int32, clientEnded: Bool) {
        if clientEnded { self.closedStreams.insert(stream) }
        self.endStreamedBodies(of: stream, StreamingBodyError(.streamReset))
        guard var machine = self.streams.remove(stream) else { return }
        self.enqueue(machine.closed(), on: stream)
    }

    /// The time of the current input batch (the clock is read once per batch), or now outside one.
    func now() -> NIODeadline {
        if self.isReadingBatch, let time = self.batchTime { return time }  // outside a batch it would be stale
        let time = self.context?.eventLoop.now ?? .now()
        if self.isReadingBatch { self.batchTime = time }
        return time
    }

    /// Takes the next slice of `stream`'s response body, up to `maxLength` bytes, for the DATA frame nghttp2 is
    /// preparing; it is written out by ``sendResponseBody(stream:frameHeader:length:padding:)``.
    func readResponseBody(stream: Int32, maxLength: Int) -> (count: Int, isEnd: Bool)? {
        if !self.responseBodies.isEmpty, self.responseBodies[stream] != nil {
            return self.readStreamedBody(stream: stream, maxLength: maxLength)
        }
        guard let (bytes, isEnd) = self.streams.update(stream, { $0.readBody(maxLength: maxLength) }) else {
            return (0, true)
        }
        self.outgoingBody = (stream, bytes)
        return (bytes.readableBytes, isEnd)
    }

    /// Appends a DATA frame to the output: `frameHeader`, then the slice taken by the data provider (RFC 9113
    /// §6.1, with the pad length byte and padding when nghttp2 asks for `padding`). False when that slice is not
    /// the one this frame announces.
    func sendResponseBody(stream: Int32, frameHeader: UnsafeRawBufferPointer, length: Int, padding: Int) -> Bool {
        guard let (bodyStream, slice) = self.outgoingBody.take(), bodyStream == stream, slice.readableBytes == length
        else { return false }
        var body = slice
        self.output.writeBytes(frameHeader)
        if padding > 0 { self.output.writeInteger(UInt8(padding - 1)) }
        self.output.writeBuffer(&body)
        if padding > 1 { self.output.writeRepeatingByte(0, count: padding - 1) }
        return true
    }

    func enqueue(_ action: HTTP2StreamMachine.Action?, on stream: Int32) {
        guard let action else { return }
        if case .none = action { return }
        self.pendingActions.append((stream, action))
    }
}
