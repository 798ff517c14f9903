import COpenSSL
import GatehouseCertificates
import NIOCore
import NIOEmbedded
import TestSupport
import Testing

@testable import GatehouseTransport

@Suite struct TLSHandshakeTests {
    @Test func versionsCompareByTheProtocolsOrder() {
        #expect(TLSVersion.v1_2 < .v1_3)
        #expect(!(TLSVersion.v1_3 < .v1_2))
        #expect(!(TLSVersion.v1_3 < .v1_3))
        #expect(TLSVersion.allCases.sorted(by: >) == [.v1_3, .v1_2])
    }

    @Test(arguments: [TLSVersion.v1_2, .v1_3])
    func handshakeAndDataBothWays(version: TLSVersion) throws {
        let pki = try TestPKI.shared()
        let pair = try TLSChannelPair(
            server: TLSFixtures.server(version: version),
            client: TLSFixtures.client(version: version)
        )
        defer { pair.finish() }
        try pair.shuttle()
        let info = try #require(pair.serverRecorder.handshake)
        #expect(info.protocolVersion == version.rawValue)
        #expect(!info.cipher.isEmpty)
        #expect(info.alpn == "h2")
        #expect(info.peerCertificates == pki.client.chain)
        #expect(info.verifyResult == .ok)
        #expect(!info.isResumed)
        let clientInfo = try #require(pair.clientRecorder.handshake)
        #expect(clientInfo.peerCertificates == pki.server.chain)
        #expect(clientInfo.verifyResult == .ok)

        try pair.send("hello from the client", from: pair.client)
        try pair.send("hello from the server", from: pair.server)
        #expect(String(buffer: pair.serverRecorder.received) == "hello from the client")
        #expect(String(buffer: pair.clientRecorder.received) == "hello from the server")
        #expect(pair.serverRecorder.errors.isEmpty && pair.clientRecorder.errors.isEmpty)
    }

    /// TLS 1.3: the server picks AES-128-GCM even when the client lists AES-256-GCM first (OpenSSL's default client
    /// order), and still accepts each of the other two suites from a client that offers only that one.
    @Test(
        arguments: [
            (nil, "TLS_AES_128_GCM_SHA256"), ("TLS_AES_256_GCM_SHA384", "TLS_AES_256_GCM_SHA384"),
            ("TLS_CHACHA20_POLY1305_SHA256", "TLS_CHACHA20_POLY1305_SHA256"),
        ] as [(String?, String)]
    )
    func tls13SuitesFollowTheServersOrder(offered: String?, expected: String) throws {
        let pair = try TLSChannelPair(
            server: TLSFixtures.server(version: .v1_3),
            client: TLSFixtures.client(version: .v1_3)
        ) { pair in
            guard let offered else { return }
            let set = try pair.clientConnection().withUnsafeSSL { SSL_set_ciphersuites($0, offered) }
            #expect(set == 1)
        }
        defer { pair.finish() }
        try pair.shuttle()
        #expect(try #require(pair.serverRecorder.handshake).cipher == expected)
        #expect(try #require(pair.clientRecorder.handshake).cipher == expected)
    }

    @Test(arguments: [
        (["h2", "http/1.1"], "h2" as String?), (["http/1.1", "h2"], "h2"), (["http/1.1"], "http/1.1"),
        ([], nil),
    ])
    func alpnFollowsTheServersOrder(offered: [String], expected: String?) throws {
        let pair = try TLSChannelPair(server: TLSFixtures.server(), client: TLSFixtures.client(alpn: offered))
        defer { pair.finish() }
        try pair.shuttle()
        #expect(try #require(pair.serverRecorder.handshake).alpn == expected)
        #expect(try #require(pair.clientRecorder.handshake).alpn == expected)
    }

    @Test(arguments: [TLSVersion.v1_2, .v1_3])
    func requestModeWithoutCertificate(version: TLSVersion) throws {
        let pair = try TLSChannelPair(
            server: TLSFixtures.server(version: version),
            client: TLSFixtures.client(presenting: nil, version: version)
        )
        defer { pair.finish() }
        try pair.shuttle()
        let info = try #require(pair.serverRecorder.handshake)
        #expect(info.peerCertificates.isEmpty)
        #expect(info.verifyResult == nil)
    }

    @Test(arguments: [TLSVersion.v1_2, .v1_3])
    func requestModeWithForeignCertificate(version: TLSVersion) throws {
        let pki = try TestPKI.shared()
        let pair = try TLSChannelPair(
            server: TLSFixtures.server(version: version),
            client: TLSFixtures.client(presenting: .strangerClient, version: version)
        )
        defer { pair.finish() }
        try pair.shuttle()
        let info = try #require(pair.serverRecorder.handshake)
        #expect(info.peerCertificates == [pki.strangerClient.certificate])
        let result = try #require(info.verifyResult)
        #expect(!result.isOK)
        try pair.send("still talking", from: pair.client)
        #expect(String(buffer: pair.serverRecorder.received) == "still talking")
    }

    @Test(arguments: [TLSVersion.v1_2, .v1_3])
    func requestModeWithoutTrustedCAsStillReportsAVerdict(version: TLSVersion) throws {
        let pair = try TLSChannelPair(
            server: TLSFixtures.server(version: version, trusted: false),
            client: TLSFixtures.client(version: version)
        )
        defer { pair.finish() }
        try pair.shuttle()
        let info = try #require(pair.serverRecorder.handshake)
        #expect(info.peerCertificates.count == 2)
        #expect(info.verifyResult.map { !$0.isOK } == true)
    }

    @Test(arguments: [TLSVersion.v1_2, .v1_3], [TestPKI.Client?.some(.strangerClient), nil])
    func requireModeRejects(version: TLSVersion, presenting: TestPKI.Client?) throws {
        let pair = try TLSChannelPair(
            server: TLSFixtures.server(mode: .require, version: version),
            client: TLSFixtures.client(presenting: presenting, version: version)
        )
        defer { pair.finish() }
        try pair.shuttle()
        #expect(pair.serverRecorder.handshake == nil)
        let serverError = try #require(pair.serverRecorder.tlsErrors.first)
        #expect(serverError.code == (presenting == nil ? .peerCertificateRequired : .handshakeFailed))
        #expect(!pair.server.isActive)
        if version == .v1_3 {
            // The client finished its side before the server judged its certificate; it learns by alert.
            #expect(pair.clientRecorder.handshake != nil)
        }
        #expect(!pair.clientRecorder.tlsErrors.isEmpty)
        #expect(!pair.client.isActive)
    }

    @Test(arguments: [TLSVersion.v1_2, .v1_3])
    func requireModeAcceptsTrustedClient(version: TLSVersion) throws {
        let pair = try TLSChannelPair(
            server: TLSFixtures.server(mode: .require, version: version),
            client: TLSFixtures.client(presenting: .rootClient, version: version)
        )
        defer { pair.finish() }
        try pair.shuttle()
        try pair.send("ping", from: pair.client)
        #expect(try #require(pair.serverRecorder.handshake).verifyResult == .ok)
        #expect(String(buffer: pair.serverRecorder.received) == "ping")
        #expect(pair.clientRecorder.errors.isEmpty)
    }

    @Test(arguments: [TLSVersion.v1_2, .v1_3])
    func noneModeDoesNotAsk(version: TLSVersion) throws {
        let pair = try TLSChannelPair(
            server: TLSFixtures.server(mode: .none, version: version),
            client: TLSFixtures.client(version: version)
        )
        defer { pair.finish() }
        try pair.shuttle()
        let info = try #require(pair.serverRecorder.handshake)
        #expect(info.peerCertificates.isEmpty && info.verifyResult == nil)
    }
}
