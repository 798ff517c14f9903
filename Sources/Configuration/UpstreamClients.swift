import GatehouseClient
import GatehouseGateway
import ServiceLifecycle
import Synchronization

/// The HTTP clients of the configured upstreams, one per upstream's settings and TLS files as they are on disk,
/// kept across reloads so that an unchanged upstream keeps its pooled connections (and a renewed gateway
/// certificate gets a new client).
final class UpstreamClients: Sendable {
    /// An upstream's settings and the state of its TLS files.
    private struct Key: Hashable {
        let upstream: UpstreamConfiguration
        let files: FileSignature

        init(_ upstream: UpstreamConfiguration) {
            self.upstream = upstream
            let tls = upstream.tls
            self.files = FileSignature(paths: tls.trustedCAs + [tls.certificate, tls.privateKey].compactMap { $0 })
        }
    }

    private let clients = Mutex<[Key: HTTPClient]>([:])

    /// The client for `upstream`: the one its unchanged settings and files already have, or a new one.
    ///
    /// Expensive for new settings: reads the gateway's certificate, key and trusted CAs.
    /// - Throws: ``ClientError`` when those files cannot be used.
    func client(for upstream: UpstreamConfiguration) throws -> HTTPClient {
        let key = Key(upstream)
        if let client = self.clients.withLock({ $0[key] }) { return client }
        let client = try HTTPClient(configuration: upstream.clientConfiguration)
        return self.clients.withLock { clients in
            if let existing = clients[key] { return existing }
            clients[key] = client
            return client
        }
    }

    /// After a reload: forgets the clients of settings (or files) no longer configured and shuts each down once
    /// the requests it may still carry had their response timeout to finish.
    func retire(keeping upstreams: [UpstreamConfiguration]) {
        let kept = Set(upstreams.map(Key.init))
        let retired = self.clients.withLock { clients in
            let retired = clients.filter { !kept.contains($0.key) }
            for key in retired.keys { clients[key] = nil }
            return retired
        }
        for (key, client) in retired {
            let upstream = key.upstream
            // Ends by itself: sleeps out the retired upstream's response timeout, then closes its connections.
            Task {
                try? await Task.sleep(for: upstream.responseTimeout + .seconds(1))
                await client.shutdown()
            }
        }
    }

    /// Closes every client's connections.
    func shutdown() async {
        let clients = self.clients.withLock { clients in
            defer { clients = [:] }
            return Array(clients.values)
        }
        for client in clients { await client.shutdown() }
    }
}

/// Closes the upstreams' connections once the server has drained (a group stops its first service last).
struct UpstreamClientsCloser: Service {
    let clients: UpstreamClients

    func run() async throws {
        try? await gracefulShutdown()
        await self.clients.shutdown()
    }
}
