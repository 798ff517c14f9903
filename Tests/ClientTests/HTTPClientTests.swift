import GatehouseCertificates
import GatehouseTransport
import HTTPTypes
import NIOCore
import TestSupport
import Testing

@testable import GatehouseClient

private let versions: [ClientConfiguration.HTTPVersionPreference] = [.http1_1, .http2]

private func expectedKind(_ version: ClientConfiguration.HTTPVersionPreference) -> HTTPVersionKind {
    version == .http2 ? .http2 : .http1_1
}

/// Runs `body` with a client, shutting it down afterwards.
private func withClient(
    _ configuration: ClientConfiguration,
    _ body: (HTTPClient) async throws -> Void
) async throws {
    let client = try HTTPClient(configuration: configuration)
    do {
        try await body(client)
    } catch {
        await client.shutdown()
        throw error
    }
    await client.shutdown()
}

@Suite("HTTPClient against a real Gatehouse server")
struct HTTPClientTests {
    @Test(arguments: versions)
    func pemIdentityGetsHello(version: ClientConfiguration.HTTPVersionPreference) async throws {
        try await withClientTestServer { server in
            let configuration = ClientConfiguration(
                identity: .pem(
                    certificateChainFile: server.pki.client.chainFile,
                    privateKeyFile: server.pki.client.keyFile
                ),
                trustedCAFiles: [server.pki.rootCAFile],
                httpVersion: version
            )
            try await withClient(configuration) { client in
                let response = try await client.execute(.get, server.url("/api/hello?name=x"))
                #expect(response.status == .ok)
                #expect(response.bodyText == "Hello, x.")
                #expect(response.httpVersion == expectedKind(version))
                #expect(response.tls.peerCertificate?.subject.contains("localhost") == true)
            }
        }
    }

    @Test(arguments: versions)
    func pfxIdentityGetsHello(version: ClientConfiguration.HTTPVersionPreference) async throws {
        try await withClientTestServer { server in
            let configuration = ClientConfiguration(
                identity: .pkcs12(file: server.pki.clientPFXFile, password: server.pki.clientPFXPassword),
                trustedCAFiles: [server.pki.rootCAFile],
                httpVersion: version
            )
            try await withClient(configuration) { client in
                let response = try await client.execute(.get, server.url("/api/hello?name=pfx"))
                #expect(response.status == .ok)
                #expect(response.bodyText == "Hello, pfx.")
            }
        }
    }

    @Test(arguments: versions)
    func noIdentityGets403(version: ClientConfiguration.HTTPVersionPreference) async throws {
        try await withClientTestServer { server in
            let configuration = ClientConfiguration(trustedCAFiles: [server.pki.rootCAFile], httpVersion: version)
            try await withClient(configuration) { client in
                let response = try await client.execute(.get, server.url("/api/hello?name=x"))
                #expect(response.status == .forbidden)
                #expect(response.bodyText.contains("Invalid client certificate"))
                if version == .http1_1 {
                    #expect(response.statusLine == "HTTP/1.1 403 Invalid client certificate")
                } else {
                    #expect(response.statusLine == "HTTP/2 403")
                }
            }
        }
    }

    @Test(arguments: versions, [5, 3 * 1024 * 1024])
    func postedBodyIsEchoed(version: ClientConfiguration.HTTPVersionPreference, size: Int) async throws {
        try await withClientTestServer { server in
            let configuration = ClientConfiguration(trustedCAFiles: [server.pki.rootCAFile], httpVersion: version)
            var body = ByteBuffer()
            for index in 0..<size { body.writeInteger(UInt8(truncatingIfNeeded: index % 251)) }
            try await withClient(configuration) { client in
                let response = try await client.execute(.post, server.url("/echo"), body: body)
                #expect(response.status == .ok)
                #expect(response.body.readableBytes == size)
                #expect(response.body == body)
            }
        }
    }

    @Test func concurrentRequestsShareOneHTTP2Connection() async throws {
        try await withClientTestServer { server in
            let configuration = ClientConfiguration(trustedCAFiles: [server.pki.rootCAFile], httpVersion: .http2)
            try await withClient(configuration) { client in
                let ids = try await withThrowingTaskGroup(of: String.self) { group in
                    for _ in 0..<50 {
                        group.addTask { try await client.execute(.get, server.url("/connection")).bodyText }
                    }
                    return try await group.reduce(into: [String]()) { $0.append($1) }
                }
                #expect(ids.count == 50)
                #expect(Set(ids).count == 1, "\(Set(ids))")
            }
        }
    }

    @Test func sequentialHTTP1RequestsReuseTheConnection() async throws {
        try await withClientTestServer { server in
            let configuration = ClientConfiguration(trustedCAFiles: [server.pki.rootCAFile], httpVersion: .http1_1)
            try await withClient(configuration) { client in
                var ids: [String] = []
                for _ in 0..<5 {
                    let response = try await client.execute(.get, server.url("/connection"))
                    #expect(response.httpVersion == .http1_1)
                    ids.append(response.bodyText)
                }
                #expect(Set(ids).count == 1, "\(ids)")
            }
        }
    }

    @Test(arguments: versions, [TLSVersion.v1_2, .v1_3])
    func requireModeServerRefusesAStranger(
        version: ClientConfiguration.HTTPVersionPreference,
        tls: TLSVersion
    ) async throws {
        try await withClientTestServer(mode: .require) { server in
            let stranger = server.pki.strangerClient
            let configuration = ClientConfiguration(
                identity: .pem(certificateChainFile: stranger.chainFile, privateKeyFile: stranger.keyFile),
                trustedCAFiles: [server.pki.rootCAFile],
                httpVersion: version,
                minimumTLSVersion: tls,
                maximumTLSVersion: tls
            )
            try await withClient(configuration) { client in
                let error = await #expect(throws: ClientError.self) {
                    try await client.execute(.get, server.url("/api/hello?name=x"))
                }
                #expect(error?.code == .certificateRefused, "\(String(describing: error)) \(error?.detail ?? "")")
                #expect(error?.message.hasPrefix("the server refused the client certificate: TLS alert ") == true)
            }
        }
    }

    @Test(arguments: [TLSVersion.v1_2, .v1_3])
    func requireModeServerRefusesNoCertificate(tls: TLSVersion) async throws {
        try await withClientTestServer(mode: .require) { server in
            let configuration = ClientConfiguration(
                trustedCAFiles: [server.pki.rootCAFile],
                minimumTLSVersion: tls,
                maximumTLSVersion: tls
            )
            try await withClient(configuration) { client in
                let error = await #expect(throws: ClientError.self) {
                    try await client.execute(.get, server.url("/api/hello"))
                }
                #expect(error?.code == .certificateRefused || error?.code == .tlsHandshakeFailed)
                if tls == .v1_3 {
                    #expect(
                        error?.message == "the server refused the client certificate: TLS alert certificate required"
                    )
                }
            }
        }
    }

    @Test func untrustedServerIsExplained() async throws {
        try await withClientTestServer { server in
            let configuration = ClientConfiguration(trustedCAFiles: [server.pki.strangerCAFile])
            try await withClient(configuration) { client in
                let error = await #expect(throws: ClientError.self) {
                    try await client.execute(.get, server.url("/api/hello"))
                }
                #expect(error?.code == .serverCertificateUntrusted)
                #expect(error?.message.contains("certificate is not trusted") == true)
            }
        }
    }

    @Test func closedPortIsAConnectFailure() async throws {
        let pki = try TestPKI.shared()
        try await withClient(ClientConfiguration(trustedCAFiles: [pki.rootCAFile])) { client in
            let error = await #expect(throws: ClientError.self) {
                try await client.execute(.get, "https://127.0.0.1:1/")
            }
            #expect(error?.code == .connectFailed)
        }
    }

    @Test func missingIdentityFileIsAConfigurationError() throws {
        #expect(throws: ClientError(.invalidConfiguration, "")) {
            try HTTPClient(
                configuration: ClientConfiguration(identity: .pkcs12(file: "/nonexistent.pfx", password: ""))
            )
        }
    }
}
