/// The open request streams of one HTTP/2 connection, by stream id, and the request head being received.
///
/// A header block (HEADERS plus CONTINUATION frames) is never interleaved with frames of another stream
/// (RFC 9113 §6.10), so the table holds one head builder for the stream whose block is in progress: each
/// header field goes straight to it, without a lookup by stream id.
struct HTTP2StreamTable {
    private var streams: [Int32: HTTP2StreamMachine] = [:]
    private var incomingHeadStream: Int32 = 0
    private var incomingHead: HTTP2RequestHeadBuilder?

    /// True when no stream is open.
    var isEmpty: Bool { self.streams.isEmpty }

    /// Starts tracking a new stream, whose request header block begins now and is collected into `head`.
    mutating func open(_ id: Int32, _ machine: consuming HTTP2StreamMachine, head: consuming HTTP2RequestHeadBuilder) {
        self.streams[id] = machine
        self.incomingHeadStream = id
        self.incomingHead = head
    }

    /// Adds a header field to `id`'s request head; ignored unless that head is in progress (trailers, refused
    /// streams).
    mutating func appendHeader(name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>, to id: Int32) {
        guard self.incomingHeadStream == id else { return }
        self.incomingHead?.append(name: name, value: value)
    }

    /// A header block of `id` ended: the request head when it was in progress, trailers otherwise.
    mutating func receivedEndOfHeaders(_ id: Int32, endStream: Bool) -> HTTP2StreamMachine.Action? {
        guard let index = self.streams.index(forKey: id) else { return nil }
        if self.incomingHeadStream == id, let head = self.incomingHead.take() {
            return self.streams.values[index].receivedHead(head, endStream: endStream)
        }
        return self.streams.values[index].receivedTrailers(endStream: endStream)
    }

    /// Runs `transition` on the stream's machine in place; `nil` when the stream is unknown (closed, or refused).
    mutating func update<Result>(
        _ id: Int32,
        _ transition: (inout HTTP2StreamMachine) -> Result
    ) -> Result? {
        guard let index = self.streams.index(forKey: id) else { return nil }
        return transition(&self.streams.values[index])
    }

    /// Stops tracking a stream and returns its machine.
    mutating func remove(_ id: Int32) -> HTTP2StreamMachine? {
        if self.incomingHeadStream == id { self.incomingHead = nil }
        return self.streams.removeValue(forKey: id)
    }

    /// Forgets every stream; returns, in ascending order, those whose response the dispatcher still owed.
    mutating func removeAll() -> [Int32] {
        let owed = self.streams.filter { $0.value.isAwaitingResponse }.keys.sorted()
        self.streams.removeAll()
        self.incomingHead = nil
        return owed
    }
}
