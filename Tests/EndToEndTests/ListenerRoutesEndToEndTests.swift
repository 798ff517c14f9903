import Foundation
import GatehouseClient
import GatehouseConfiguration
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
        try await GatehouseTestServer.withServer(configuration: Self.yaml(adminHealthOn: "[admin]")) { server in
            #expect(server.ports.count == 2)
            let (publicListener, admin) = (
                try server.client(httpVersion: .http2), try server.client(httpVersion: .http2, listener: 1)
            )
            func status(_ client: TestClient, _ path: String) async throws -> Int {
                Int(try await client.get(path).status.code)
            }

            #expect(try await status(admin, "/admin/health") == 200)
            #expect(try await status(publicListener, "/admin/health") == 404, "only on admin")
            #expect(try await status(publicListener, "/public/health") == 200)
            #expect(try await status(admin, "/public/health") == 404, "only on public")
            #expect(try await publicListener.get("/api/hello?name=a").bodyText == "Hello, a.")
            #expect(try await admin.get("/api/hello?name=b").bodyText == "Hello, b.", "on every listener")

            // A reload re-routes each listener; the same connections see the change on their next request.
            let service = try #require(server.service)
            let directory = try #require(server.directory)
            try Self.yaml(adminHealthOn: "[admin, public]")
                .write(toFile: directory + "/gatehouse.yaml", atomically: true, encoding: .utf8)
            #expect(await service.reload(reason: "test"))
            #expect(await service.pendingRestart.isEmpty)
            #expect(try await status(publicListener, "/admin/health") == 200)
            #expect(try await status(admin, "/admin/health") == 200)
            #expect(try await status(admin, "/public/health") == 404)
        }
    }
}
