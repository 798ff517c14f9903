import Synchronization

/// The connection and upload of a response streamed past the call that started it (``HTTPClient/stream(_:body:)``),
/// held by its body: settled once, when the body ends, fails, or is dropped unfinished.
///
/// A complete response returns the connection to the pool (after the upload ended); anything else abandons the
/// request — HTTP/1.1 closes the connection (its pool slot frees when it closes), HTTP/2 resets the stream — so a
/// caller that drops a body half read never leaks a connection or leaves a request running upstream.
// A class for its deinit: the last copy of the body going away is the signal that nobody will read the rest.
final class ExchangeLease: Sendable {
    private let exchange: ClientExchange
    private let lease: ConnectionPool.Lease
    private let pool: ConnectionPool
    /// Writes the request body; `nil` for a request without one.
    private let upload: Task<Void, any Error>?
    private let isSettled = Atomic<Bool>(false)

    init(exchange: ClientExchange, lease: ConnectionPool.Lease, pool: ConnectionPool, upload: Task<Void, any Error>?) {
        self.exchange = exchange
        self.lease = lease
        self.pool = pool
        self.upload = upload
    }

    /// The body ended: once what is left of the upload has stopped (nobody reads it now), the connection goes back
    /// to the pool.
    func bodyEnded() async {
        guard !self.isSettled.exchange(true, ordering: .acquiringAndReleasing) else { return }
        self.upload?.cancel()
        _ = await self.upload?.result
        if self.exchange.isComplete {
            self.pool.release(self.lease)
        } else {
            self.cancelExchange()
        }
    }

    /// Nobody will read the rest: the request is abandoned.
    func abandon() {
        guard !self.isSettled.exchange(true, ordering: .acquiringAndReleasing) else { return }
        self.cancelExchange()
    }

    private func cancelExchange() {
        self.upload?.cancel()
        self.lease.connection.cancel(self.exchange)
        self.exchange.fail(ClientError.cancelled())
    }

    deinit {
        guard !self.isSettled.load(ordering: .acquiring) else { return }
        // A body nobody read to its end that had nothing left to arrive (a HEAD, a 204) keeps its connection.
        if self.exchange.isComplete && self.upload == nil {
            self.pool.release(self.lease)
        } else {
            self.cancelExchange()
        }
    }
}
