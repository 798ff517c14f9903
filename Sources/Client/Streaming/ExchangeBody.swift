import NIOCore
import Synchronization

/// A streamed response body between the connection's handler, which yields chunks on the event loop, and the reader
/// (``ClientResponseBody``), in any task.
///
/// The reader takes a chunk that is already buffered, or the end, without suspending and on its own executor: a
/// small response that arrived with its head is read with no task switch. Backpressure by chunk count: ``yield(_:)``
/// says stop at the high watermark, and the delegate's `produceMore` is called once the reader has taken the buffer
/// down to the low one. Cancelling a waiting reader ends the body for it (it gets `nil`) and calls the delegate's
/// `didTerminate`, so the handler abandons the request.
final class ExchangeBody: Sendable {
    /// What ``yield(_:)`` tells the producer.
    enum YieldResult {
        case produceMore
        case stopProducing
        /// The body already ended, or its reader went away: the chunk is dropped.
        case dropped
    }

    private enum End {
        case finished
        case failed(any Error)
    }

    private struct State {
        var buffers = CircularBuffer<ByteBuffer>(initialCapacity: 2)
        var end: End?
        var waiter: CheckedContinuation<ByteBuffer?, any Error>?
        /// The producer was told to stop and waits for `produceMore`.
        var isProducerStopped = false
        /// The reader's task was cancelled: the body ended for it.
        var isCancelled = false
    }

    private let state = Mutex(State())
    private let lowWatermark: Int
    private let highWatermark: Int
    private let delegate: ExchangeDelegate

    init(lowWatermark: Int, highWatermark: Int, delegate: ExchangeDelegate) {
        self.lowWatermark = lowWatermark
        self.highWatermark = highWatermark
        self.delegate = delegate
    }

    // MARK: Producer (the event loop)

    /// Adds a chunk for the reader; says whether to go on producing.
    @discardableResult
    func yield(_ chunk: ByteBuffer) -> YieldResult {
        let (waiter, result): (CheckedContinuation<ByteBuffer?, any Error>?, YieldResult) = self.state.withLock {
            state in
            guard state.end == nil, !state.isCancelled else { return (nil, .dropped) }
            if let waiter = state.waiter {
                state.waiter = nil
                return (waiter, .produceMore)
            }
            state.buffers.append(chunk)
            guard state.buffers.count >= self.highWatermark else { return (nil, .produceMore) }
            state.isProducerStopped = true
            return (nil, .stopProducing)
        }
        waiter?.resume(returning: chunk)
        return result
    }

    /// The body is complete: the reader gets what is buffered, then the end.
    func finish() {
        self.end(.finished)
    }

    /// The body will not be complete: the reader gets what is buffered, then `error`.
    func finish(_ error: any Error) {
        self.end(.failed(error))
    }

    private func end(_ end: End) {
        let waiter: CheckedContinuation<ByteBuffer?, any Error>? = self.state.withLock { state in
            guard state.end == nil else { return nil }
            state.end = end
            defer { state.waiter = nil }
            return state.waiter
        }
        guard let waiter else { return }
        switch end {
        case .finished: waiter.resume(returning: nil)
        case .failed(let error): waiter.resume(throwing: error)
        }
    }

    // MARK: Consumer (one task at a time)

    /// The next chunk, `nil` at the end (or once the reading task was cancelled); waits while none is buffered.
    /// - Throws: the error the body failed with.
    func next() async throws -> ByteBuffer? {
        let chunk: ByteBuffer?
        if let ready = self.state.withLock({ self.take(from: &$0) }) {
            chunk = try ready.get()
        } else {
            chunk = try await self.wait()
        }
        if chunk != nil { self.resumeProducerIfDrained() }
        return chunk
    }

    private func wait() async throws -> ByteBuffer? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ByteBuffer?, any Error>) in
                let ready: Result<ByteBuffer?, any Error>? = self.state.withLock { state in
                    if let ready = self.take(from: &state) { return ready }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(with: ready) }
            }
        } onCancel: {
            let (ends, waiter): (Bool, CheckedContinuation<ByteBuffer?, any Error>?) = self.state.withLock { state in
                guard state.end == nil, !state.isCancelled else { return (false, nil) }
                state.isCancelled = true
                state.buffers.removeAll()
                defer { state.waiter = nil }
                return (true, state.waiter)
            }
            waiter?.resume(returning: nil)
            if ends { self.delegate.didTerminate() }
        }
    }

    /// Calls `produceMore` when the reader brought a stopped producer's buffer down to the low watermark.
    private func resumeProducerIfDrained() {
        let resumes = self.state.withLock { state -> Bool in
            guard state.isProducerStopped, state.buffers.count <= self.lowWatermark else { return false }
            state.isProducerStopped = false
            return true
        }
        if resumes { self.delegate.produceMore() }
    }

    /// The next buffered chunk, the end, or `nil` when the reader must wait.
    private func take(from state: inout State) -> Result<ByteBuffer?, any Error>? {
        if let buffer = state.buffers.popFirst() { return .success(buffer) }
        if state.isCancelled { return .success(nil) }
        switch state.end {
        case .none: return nil
        case .finished: return .success(nil)
        case .failed(let error): return .failure(error)
        }
    }
}
