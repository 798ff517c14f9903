/// The open request streams of one HTTP/2 connection, by stream id.
struct HTTP2StreamTable {
    private var streams: [Int32: HTTP2StreamMachine] = [:]

    /// True when no stream is open.
    var isEmpty: Bool { self.streams.isEmpty }

    /// Starts tracking a new stream.
    mutating func open(_ id: Int32, _ machine: HTTP2StreamMachine) {
        self.streams[id] = machine
    }

    /// Runs `transition` on the stream's machine; `nil` when the stream is unknown (closed, or refused).
    mutating func update<Result>(
        _ id: Int32,
        _ transition: (inout HTTP2StreamMachine) -> Result
    ) -> Result? {
        guard self.streams[id] != nil else { return nil }
        return transition(&self.streams[id]!)
    }

    /// Stops tracking a stream and returns its machine.
    mutating func remove(_ id: Int32) -> HTTP2StreamMachine? {
        self.streams.removeValue(forKey: id)
    }

    /// Forgets every stream; returns, in ascending order, those whose response the dispatcher still owed.
    mutating func removeAll() -> [Int32] {
        let owed = self.streams.filter { $0.value.isAwaitingResponse }.keys.sorted()
        self.streams.removeAll()
        return owed
    }
}
