import NIOCore
import Synchronization

/// A streamed request body between the protocol handler that receives it (on the event loop) and the function
/// that reads it (``RequestBody``, from any task).
///
/// The handler appends pieces as they arrive and reads ``bufferedBytes`` to decide whether to read more (HTTP/1.1)
/// or to return flow-control credit (HTTP/2). Each piece the reader takes is reported back on the event loop
/// through `consumed`, batched: at most one report is scheduled at a time, and it carries every byte taken since the
/// last one. A failure drops what is buffered at once and is thrown to the reader.
final class RequestBodySource: Sendable {
    private enum End {
        case finished
        case failed(any Error)
    }

    private struct State {
        var buffers = CircularBuffer<ByteBuffer>()
        var bufferedBytes = 0
        var end: End?
        var waiter: CheckedContinuation<ByteBuffer?, any Error>?
        /// The reader's task was cancelled: no wait may start.
        var isCancelled = false
        var unreportedBytes = 0
        var isReportScheduled = false
    }

    private let state = Mutex(State())
    private let eventLoop: any EventLoop
    /// Called on the event loop with the bytes the reader took since the last call.
    private let consumed: NIOLoopBound<(Int) -> Void>

    /// A source whose consumption is reported to `consumed`, on `eventLoop`. Created on the event loop.
    init(eventLoop: any EventLoop, consumed: @escaping (Int) -> Void) {
        self.eventLoop = eventLoop
        self.consumed = NIOLoopBound(consumed, eventLoop: eventLoop)
    }

    // MARK: Producer (the event loop)

    /// Body bytes received and not yet taken by the reader.
    var bufferedBytes: Int {
        self.state.withLock { $0.bufferedBytes }
    }

    /// Whether the body ended (completely or not): appending does nothing any more.
    var isEnded: Bool {
        self.state.withLock { $0.end != nil }
    }

    /// Adds a piece of the body; dropped when the body already ended.
    func append(_ buffer: ByteBuffer) {
        guard buffer.readableBytes > 0 else { return }
        let waiter: CheckedContinuation<ByteBuffer?, any Error>? = self.state.withLock { state in
            guard state.end == nil else { return nil }
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.buffers.append(buffer)
            state.bufferedBytes += buffer.readableBytes
            return nil
        }
        guard let waiter else { return }
        self.taken(buffer.readableBytes)
        waiter.resume(returning: buffer)
    }

    /// The body is complete: the reader gets what is buffered, then the end.
    func finish() {
        let waiter: CheckedContinuation<ByteBuffer?, any Error>? = self.state.withLock { state in
            guard state.end == nil else { return nil }
            state.end = .finished
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    /// The body will not be complete: what is buffered is dropped and the reader gets `error`.
    func fail(_ error: any Error) {
        let waiter: CheckedContinuation<ByteBuffer?, any Error>? = self.state.withLock { state in
            guard state.end == nil else { return nil }
            state.end = .failed(error)
            state.buffers.removeAll()
            state.bufferedBytes = 0
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(throwing: error)
    }

    // MARK: Consumer (any task)

    /// The next piece of the body, `nil` at its end; waits while none has arrived.
    /// - Throws: the failure the producer reported, or `CancellationError` when the reading task is cancelled.
    func next() async throws -> ByteBuffer? {
        if let ready = self.state.withLock({ Self.take(from: &$0) }) {
            return try self.deliver(ready)
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ByteBuffer?, any Error>) in
                let ready: Result<ByteBuffer?, any Error>? = self.state.withLock { state in
                    if let ready = Self.take(from: &state) { return ready }
                    if state.isCancelled { return .failure(CancellationError()) }
                    state.waiter = continuation
                    return nil
                }
                guard let ready else { return }
                continuation.resume(
                    with: ready.map { buffer in
                        if let buffer { self.taken(buffer.readableBytes) }
                        return buffer
                    }
                )
            }
        } onCancel: {
            let waiter: CheckedContinuation<ByteBuffer?, any Error>? = self.state.withLock { state in
                state.isCancelled = true
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    private func deliver(_ ready: Result<ByteBuffer?, any Error>) throws -> ByteBuffer? {
        let buffer = try ready.get()
        if let buffer { self.taken(buffer.readableBytes) }
        return buffer
    }

    /// The next buffered piece, the end, or `nil` when the reader must wait.
    private static func take(from state: inout State) -> Result<ByteBuffer?, any Error>? {
        if let buffer = state.buffers.popFirst() {
            state.bufferedBytes -= buffer.readableBytes
            return .success(buffer)
        }
        switch state.end {
        case .none: return nil
        case .finished: return .success(nil)
        case .failed(let error): return .failure(error)
        }
    }

    /// Notes `count` bytes taken by the reader and schedules their report unless one is pending.
    private func taken(_ count: Int) {
        let schedules = self.state.withLock { state -> Bool in
            state.unreportedBytes += count
            guard !state.isReportScheduled else { return false }
            state.isReportScheduled = true
            return true
        }
        guard schedules else { return }
        self.eventLoop.execute {
            let count = self.state.withLock { state -> Int in
                state.isReportScheduled = false
                defer { state.unreportedBytes = 0 }
                return state.unreportedBytes
            }
            self.consumed.value(count)
        }
    }
}
