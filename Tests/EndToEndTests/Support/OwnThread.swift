import Foundation

/// Runs blocking `work` (a ``RawTLSClient`` handshake, say) on a thread of its own, so that it never holds one of
/// the concurrency pool's few threads while an in-process server needs them.
func onOwnThread<Result: Sendable>(_ work: @escaping @Sendable () throws -> Result) async throws -> Result {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Swift.Result { try work() }) }
    }
}
