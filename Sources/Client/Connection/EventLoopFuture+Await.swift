import NIOCore

extension EventLoopFuture where Value: Sendable {
    /// The future's value, awaited on the caller's executor.
    ///
    /// NIO's `get()` is not built with nonisolated(nonsending) semantics: awaiting it from a request's task leaves the
    /// connection's event loop for the global concurrent executor and comes back, two task switches and a thread hop
    /// per await. Here the task suspends where it runs and the future resumes it there.
    /// - Throws: the future's error.
    func awaited() async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            self.whenComplete { continuation.resume(with: $0) }
        }
    }
}
