import GatehouseTransport
import Synchronization

/// The client's TLS contexts, one per server name (it sets SNI and the name verified), built on first use.
final class TLSContextCache: Sendable {
    private let configuration: ClientConfiguration
    private let contexts = Mutex<[String: TLSContext]>([:])

    init(configuration: ClientConfiguration) {
        self.configuration = configuration
    }

    /// The context for connections to `host`.
    ///
    /// Expensive the first time for a host: reads the identity and CA files.
    /// - Throws: ``ClientError/Code/invalidConfiguration``.
    func context(for host: String) throws -> TLSContext {
        if let context = self.contexts.withLock({ $0[host] }) { return context }
        do {
            let context = try TLSContext(client: self.configuration.tlsConfiguration(serverName: host))
            return self.contexts.withLock { contexts in
                if let existing = contexts[host] { return existing }
                contexts[host] = context
                return context
            }
        } catch let error as TLSError {
            throw ClientError(
                .invalidConfiguration,
                "the client's TLS settings cannot be used: \(error.detail)",
                detail: error.detail
            )
        }
    }
}
