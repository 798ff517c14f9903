import Synchronization

/// What the protocol handlers tell the pool about a connection, readable from any thread.
final class ClientConnectionState: Sendable {
    private struct Facts {
        var failure: ClientError?
        var isAcceptingRequests = true
    }

    private let facts = Mutex(Facts())

    /// The error that ended the connection (a TLS alert, a protocol error), if one did.
    var failure: ClientError? { self.facts.withLock { $0.failure } }

    /// False once the server said GOAWAY or asked to close, or the connection failed.
    var isAcceptingRequests: Bool { self.facts.withLock { $0.isAcceptingRequests } }

    /// Records the first error that ended the connection.
    func fail(_ error: ClientError) {
        self.facts.withLock { facts in
            if facts.failure == nil { facts.failure = error }
            facts.isAcceptingRequests = false
        }
    }

    /// Stops new requests from being sent on the connection.
    func stopAcceptingRequests() {
        self.facts.withLock { $0.isAcceptingRequests = false }
    }
}
