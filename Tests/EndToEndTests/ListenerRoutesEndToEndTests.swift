import GatehouseClient
import GatehouseConfiguration
import Foundation
import HTTPTypes
import TestSupport
import Testing

/// Routes served on some listeners only (`listeners: [name]`), over two real listeners.
@Suite("Routes per listener")
struct ListenerRoutesEndToEndTests {
    static func yaml(adminHealthOn listeners: String) -> String {
        """
        listeners:
          - name: public
            host: 127.0.0.1
            port: 0
            tls: { certificate: pki/server.crt, privateKey: pki/server.key }
            limits: { handshakeTimeout: 60s }
          - name: admin
            host: 127.0.0.1
            port: 0
            tls: { certificate: pki/server.crt, privateKey: pki/server.key }
            limits: { handshakeTimeout: 60s }
        policies:
          partners:
            trustedCAs: [pki/ca.crt]
        routes:
          - { path: /api/hello, function: hello, policy: partners }
          - { path: /admin/health, function: health, listeners: \(listeners) }
          - { path: /public/health, function: health, listeners: public }
        """
    }

    @Test func aRouteIsServedOnlyOnTheListenersItNamesAndAReloadMovesIt() async throws {
        let folder = try ConfigurationFolder()
        let file = try folder.write(Self.yaml(adminHealthOn: "[admin]"))
        try await withConfiguredListeners(file) { service, ports in
            #expect(ports.count == 2)
            let client = try partnerClient(folder.pki)
            defer { Task { await client.shutdown() } }
            let publicBase = "https://127.0.0.1:\(ports[0])", adminBase = "https://127.0.0.1:\(ports[1])"
            func status(_ url: String) async throws -> Int { Int(try await client.execute(.get, url).status.code) }

            #expect(try await status(adminBase + "/admin/health") == 200)
            #expect(try await status(publicBase + "/admin/health") == 404, "only on admin")
            #expect(try await status(publicBase + "/public/health") == 200)
            #expect(try await status(adminBase + "/public/health") == 404, "only on public")
            #expect(try await client.execute(.get, publicBase + "/api/hello?name=a").bodyText == "Hello, a.")
            #expect(try await client.execute(.get, adminBase + "/api/hello?name=b").bodyText == "Hello, b.", "on every listener")

            // A reload re-routes each listener; the same connections see the change on their next request.
            try folder.write(Self.yaml(adminHealthOn: "[admin, public]"))
            #expect(await service.reload(reason: "test"))
            #expect(await service.pendingRestart.isEmpty)
            #expect(try await status(publicBase + "/admin/health") == 200)
            #expect(try await status(adminBase + "/admin/health") == 200)
            #expect(try await status(adminBase + "/public/health") == 404)
        }
    }
}
