import NIOCore

/// What the nghttp2 callbacks report, applied to the stream machines. Runs inside `mem_recv` / `mem_send`,
/// so nothing here calls back into nghttp2 or the dispatcher: actions are queued in `pendingActions`.
extension HTTP2ServerHandler {
    func streamOpened(_ stream: Int32) {
        if case .draining(let lastStreamID) = self.phase, stream > lastStreamID { return }
        self.streams.open(
            stream,
            HTTP2StreamMachine(maxBodySize: self.limits.maxBodySize),
            head: HTTP2RequestHeadBuilder(maxHeaderListSize: self.limits.maxHeaderListSize)
        )
        self.idleSince = nil  // busy: the idle timer, if armed, stops when it fires
    }

    func receivedHeader(name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>, stream: Int32) {
        self.streams.appendHeader(name: name, value: value, to: stream)
    }

    func receivedEndOfHeaders(stream: Int32, endStream: Bool) {
        self.enqueue(self.streams.receivedEndOfHeaders(stream, endStream: endStream), on: stream)
    }

    func receivedData(_ bytes: UnsafeRawBufferPointer, stream: Int32) {
        self.enqueue(self.streams.update(stream) { $0.receivedData(bytes) }, on: stream)
    }

    func receivedEndOfStream(_ stream: Int32) {
        self.enqueue(self.streams.update(stream) { $0.receivedEndOfStream() }, on: stream)
    }

    func sentEndOfStream(_ stream: Int32) {
        self.enqueue(self.streams.update(stream) { $0.sentEndOfStream() }, on: stream)
    }

    func streamClosed(_ stream: Int32) {
        guard var machine = self.streams.remove(stream) else { return }
        self.enqueue(machine.closed(), on: stream)
        if self.streams.isEmpty { self.updateIdleTimer() }
    }

    /// Copies the next slice of `stream`'s response body into nghttp2's frame buffer.
    func readResponseBody(stream: Int32, into buffer: UnsafeMutableRawBufferPointer) -> (count: Int, isEnd: Bool) {
        guard let (bytes, isEnd) = self.streams.update(stream, { $0.readBody(maxLength: buffer.count) }) else {
            return (0, true)
        }
        let count = bytes.withUnsafeReadableBytes { source in
            buffer.copyMemory(from: source)
            return source.count
        }
        return (count, isEnd)
    }

    private func enqueue(_ action: HTTP2StreamMachine.Action?, on stream: Int32) {
        guard let action else { return }
        if case .none = action { return }
        self.pendingActions.append((stream, action))
    }
}
