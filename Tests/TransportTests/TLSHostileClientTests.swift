import COpenSSL
import Foundation
import GatehouseCertificates
import NIOCore
import TestSupport
import Testing

@testable import GatehouseTransport

@Suite struct TLSHostileClientTests {
    /// A client context presenting `chainFile` (every certificate in it, as it is) with `keyFile`.
    private func client(chainFile: String, keyFile: String, alpn: [String] = ["h2", "http/1.1"]) throws -> TLSContext {
        let pki = try TestPKI.shared()
        return try TLSContext(
            client: TLSClientConfiguration(
                identity: .pem(certificateChainFile: chainFile, privateKeyFile: keyFile),
                trustedCAFiles: [pki.rootCAFile],
                applicationProtocols: alpn,
                serverName: "localhost"
            )
        )
    }

    private func server(maxChainSize: Int = 64 * 1024) throws -> TLSContext {
        let pki = try TestPKI.shared()
        var limits = ConnectionLimits()
        limits.maxClientCertificateChainSize = maxChainSize
        return try TLSContext(
            server: TLSConfiguration(
                identity: .pem(certificateChainFile: pki.server.chainFile, privateKeyFile: pki.server.keyFile),
                clientCertificateMode: .request,
                trustedCAFiles: [pki.rootCAFile]
            ),
            limits: limits
        )
    }

    @Test(arguments: [TLSVersion.v1_2, .v1_3])
    func aClientOfferingOnlyUnknownProtocolsGetsNoApplicationProtocol(version: TLSVersion) throws {
        let pair = try TLSChannelPair(
            server: TLSFixtures.server(version: version),
            client: TLSFixtures.client(version: version, alpn: ["spdy/3", "h3"])
        )
        defer { pair.finish() }
        try pair.shuttle()
        #expect(pair.serverRecorder.handshake == nil)
        #expect(pair.clientRecorder.handshake == nil)
        let alert = try #require(pair.clientRecorder.tlsErrors.first)
        #expect(alert.description.contains("no application protocol"), "\(alert)")
    }

    @Test(arguments: [TLSVersion.v1_2, .v1_3])
    func aChainWithARogueRootCompletesTheHandshakeInRequestMode(version: TLSVersion) throws {
        let impostor = try PolicyTestPKI.shared().rootImpostorClient
        let pair = try TLSChannelPair(
            server: TLSFixtures.server(version: version),
            client: self.client(chainFile: impostor.chainFile, keyFile: impostor.keyFile)
        )
        defer { pair.finish() }
        try pair.shuttle()
        // The policy judges it later (403 untrusted); the handshake itself must not fail without an alert.
        let info = try #require(pair.serverRecorder.handshake, "\(pair.serverRecorder.errors)")
        #expect(info.peerCertificates == impostor.chain)
        #expect(info.verifyResult?.isOK == false)
        try pair.send("ping", from: pair.client)
        #expect(String(buffer: pair.serverRecorder.received) == "ping")
    }

    @Test func aCertificateMessageOverTheLimitFailsTheHandshakeWithAnAlert() throws {
        let pki = try PolicyTestPKI.shared()
        // 60 junk certificates of about 400 bytes: about 24 KiB, over a 16 KiB limit.
        let pair = try TLSChannelPair(
            server: self.server(maxChainSize: 16 * 1024),
            client: self.client(chainFile: pki.junkChainFile(junk: 60), keyFile: pki.base.client.keyFile)
        )
        defer { pair.finish() }
        try pair.shuttle()
        #expect(pair.serverRecorder.handshake == nil)
        let failure = try #require(pair.serverRecorder.tlsErrors.first)
        #expect(failure.description.contains("excessive message size"), "\(failure)")
        #expect(
            pair.clientRecorder.tlsErrors.first?.description.contains("alert") == true,
            "\(pair.clientRecorder.errors)"
        )
    }

    @Test func atMostMaxPresentedCertificatesOfAChainAreKept() throws {
        let pki = try PolicyTestPKI.shared()
        let pair = try TLSChannelPair(
            server: self.server(),
            client: self.client(chainFile: pki.junkChainFile(junk: 40), keyFile: pki.base.client.keyFile)
        )
        defer { pair.finish() }
        try pair.shuttle()
        let info = try #require(pair.serverRecorder.handshake)
        #expect(info.peerCertificates.count == TLSContext.maxPresentedCertificates)
        #expect(info.peerCertificates.first == pki.base.client.certificate)
    }

    @Test(arguments: [TLSVersion.v1_2, .v1_3])
    func theSessionKeepsOnlyTheLeafAndAResumptionGetsTheLeaf(version: TLSVersion) throws {
        let pki = try PolicyTestPKI.shared()
        let server = try TLSFixtures.server(version: version)
        let client = try TLSContext(
            client: TLSClientConfiguration(
                identity: .pem(
                    certificateChainFile: pki.junkChainFile(junk: 10),
                    privateKeyFile: pki.base.client.keyFile
                ),
                trustedCAFiles: [pki.base.rootCAFile],
                serverName: "localhost",
                minimumVersion: version,
                maximumVersion: version
            )
        )
        let first = try TLSChannelPair(server: server, client: client)
        defer { first.finish() }
        try first.shuttle()
        try first.send("ping", from: first.client)
        // The connection has the chain as presented; its session (what the cache keeps) only the leaf.
        #expect(try #require(first.serverRecorder.handshake).peerCertificates.count == 11)
        try first.serverConnection().withUnsafeSSL { ssl in
            #expect(SSL_get_peer_cert_chain(ssl).map { gatehouse_sk_X509_num($0) } ?? 0 == 0)
            let leaf = try #require(SSL_get0_peer_certificate(ssl))
            #expect(Certificate(copying: leaf) == pki.base.client.certificate)
        }
        let session = try first.clientSession()
        defer { SSL_SESSION_free(session) }
        let resumed = try TLSChannelPair(server: server, client: client, offering: session)
        defer { resumed.finish() }
        try resumed.shuttle()
        let info = try #require(resumed.serverRecorder.handshake)
        #expect(info.isResumed)
        #expect(info.peerCertificates == [pki.base.client.certificate])
        #expect(info.verifyResult?.isOK == false)
    }

    @Test func aVerifiedChainPaddedWithJunkKeepsOnlyItsPathInTheCache() throws {
        let pki = try PolicyTestPKI.shared()
        let junk = try (0..<8).map {
            try AttackCertificateMinter.mint(
                commonName: "padding \($0)",
                key: pki.base.client.key,
                issuer: nil,
                extensions: []
            )
        }
        let chainFile = (pki.base.directory as NSString).appendingPathComponent("padded-\(UUID().uuidString).pem")
        try (pki.base.client.chain + junk).pemString.write(toFile: chainFile, atomically: true, encoding: .utf8)
        let server = try self.server()
        for _ in 1...2 {
            let pair = try TLSChannelPair(
                server: server,
                client: self.client(
                    chainFile: chainFile,
                    keyFile: pki.base.client.keyFile
                )
            )
            defer { pair.finish() }
            try pair.shuttle()
            let info = try #require(pair.serverRecorder.handshake)
            #expect(info.verifyResult == .ok)
            #expect(info.peerCertificates == pki.base.client.chain + junk)  // the connection has what was sent
            // The entry holds the verified path and verdict, not the padding: no presented certificates.
            let entry = try #require(info.verifiedChain)
            #expect(entry.presented == nil)
            #expect(entry.path == pki.base.client.chain + [pki.base.rootCA])
        }
        let cache = try #require(server.verifiedChains)
        #expect(cache.statistics.count == 1 && cache.statistics.hits == 1)
        // About the parsed leaf and the DER of its path (the 8 junk certificates, parsed, would add about 50 KiB).
        #expect(cache.statistics.bytes < 16 * 1024, "\(cache.statistics)")
    }
}
