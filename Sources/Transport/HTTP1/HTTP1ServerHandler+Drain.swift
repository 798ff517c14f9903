import NIOCore

/// What is left of the reading a refused body gets before its connection closes.
///
/// A client sending a body the server refused (413, 417) is usually still writing when the answer leaves. Closing
/// the socket with its bytes unread makes the kernel send a reset, which often reaches the client before it has
/// read the answer (it sees "connection reset" instead of the 413). So the connection goes on reading and dropping
/// for a while; the cap on time and bytes keeps a client that never stops from holding it.
struct HTTP1Drain {
    /// Bytes that may still be read and dropped.
    var remainingBytes: Int
    /// Whether the answer reached the socket: the connection never closes before, or it would be lost.
    var isAnswerWritten = false
    /// Closes the connection when the drain time is over.
    var timer: Scheduled<Void>?
}

extension HTTP1ServerHandler {
    /// How long a connection keeps dropping a refused body before it closes.
    static let drainTime: TimeAmount = .seconds(2)
    /// How many bytes of a refused body a connection drops before it closes: more than the socket buffers of a
    /// fast link hold in flight when the client learns of the refusal (on loopback the receiving side's grows to
    /// several MiB). Dropped bytes are decrypted and let go, never kept: the cap bounds the work, not memory.
    static let maxDrainedBytes = 16 * 1024 * 1024

    /// Starts the drain after a refusal; the connection closes after ``drainTime`` at the latest.
    func startDraining(context: ChannelHandlerContext) {
        var drain = HTTP1Drain(remainingBytes: Self.maxDrainedBytes)
        drain.timer = context.eventLoop.assumeIsolated().scheduleTask(in: Self.drainTime) { [self] in
            self.drain?.timer = nil
            self.context?.close(promise: nil)
        }
        self.drain = drain
    }

    /// `count` bytes arrived on a closing connection and were dropped.
    func drained(_ count: Int, context: ChannelHandlerContext) {
        guard var drain = self.drain else { return }
        drain.remainingBytes -= count
        self.drain = drain
        if drain.remainingBytes <= 0 && drain.isAnswerWritten { context.close(promise: nil) }
    }

    /// The refusal reached the socket: close now if the budget is spent, else when it is or the time is up.
    func drainAnswerWritten() {
        guard var drain = self.drain else { return }
        drain.isAnswerWritten = true
        self.drain = drain
        if drain.remainingBytes <= 0 { self.context?.close(promise: nil) }
    }

    /// The connection ended: no timer may outlive it.
    func endDrain() {
        self.drain?.timer?.cancel()
        self.drain = nil
    }
}
