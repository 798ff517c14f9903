import COpenSSL
import Foundation
import GatehouseCertificates
import NIOCore
import TestSupport
import Testing

@testable import GatehouseTransport

/// Stateless session tickets: contexts that share ticket keys (two replicas, or a reload) resume each other's
/// sessions while the trust material and client-certificate mode are the same, and only then.
@Suite struct TLSSessionTicketTests {
    /// A file of `count` random 80-byte keys (nginx's format), or of the given keys.
    static func keyFile(_ keys: [[UInt8]]) throws -> String {
        let path = NSTemporaryDirectory() + "ticket-\(UUID().uuidString).key"
        try Data(keys.joined()).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func randomKey(_ length: Int = 80) -> [UInt8] { (0..<length).map { _ in UInt8.random(in: 0...255) } }

    /// A server context with its own verified-chain cache (as another process would have).
    static func server(
        keyFile: String?,
        mode: ClientCertificateMode = .request,
        trusted: [String]? = nil,
        version: TLSVersion
    ) throws -> TLSContext {
        let pki = try TestPKI.shared()
        return try TLSContext(
            server: TLSConfiguration(
                identity: .pem(certificateChainFile: pki.server.chainFile, privateKeyFile: pki.server.keyFile),
                clientCertificateMode: mode,
                trustedCAFiles: trusted ?? [pki.rootCAFile],
                minimumVersion: version,
                maximumVersion: version,
                sessionTicketKeyFile: keyFile
            ),
            verifiedChains: VerifiedChainCache()
        )
    }

    /// A full handshake with `server`; the client's session afterwards (the caller frees it).
    static func session(from server: TLSContext, client: TLSContext) throws -> OpaquePointer {
        let pair = try TLSChannelPair(server: server, client: client)
        defer { pair.finish() }
        try pair.shuttle()
        try pair.send("ping", from: pair.client)  // the client reads the TLS 1.3 ticket on the way
        #expect(try #require(pair.serverRecorder.handshake).isResumed == false)
        return try pair.clientSession()
    }

    /// The server's view of a handshake that offers `session`.
    static func resume(_ session: OpaquePointer, on server: TLSContext, client: TLSContext) throws -> TLSSessionInfo {
        let pair = try TLSChannelPair(server: server, client: client, offering: session)
        defer { pair.finish() }
        try pair.shuttle()
        try pair.send("pong", from: pair.client)
        #expect(String(buffer: pair.serverRecorder.received) == "pong")
        return try #require(pair.serverRecorder.handshake)
    }

    @Test(arguments: [TLSVersion.v1_2, .v1_3])
    func aSessionResumesOnAnotherServerWithTheSameKeyFileWithTheLeafAsIdentity(version: TLSVersion) throws {
        let pki = try TestPKI.shared()
        let keys = try Self.keyFile([Self.randomKey()])
        let client = try TLSFixtures.client(version: version)
        let first = try Self.server(keyFile: keys, version: version)
        let other = try Self.server(keyFile: keys, version: version)
        let session = try Self.session(from: first, client: client)
        defer { SSL_SESSION_free(session) }

        let info = try Self.resume(session, on: other, client: client)
        #expect(info.isResumed)
        #expect(info.verifyResult == .ok)
        #expect(info.peerCertificates == [pki.client.certificate])
        // The other server never verified this chain: the ticket's word that the leaf verified under the same
        // trust material is the entry, with the leaf alone as its path.
        let entry = try #require(info.verifiedChain)
        #expect(entry.generation == other.trustGeneration)
        #expect(entry.path == [pki.client.certificate])
        #expect(other.verifiedChains?.statistics.count == 0)

        // The server that verified it resumes from its own entry, with the whole chain.
        let again = try Self.resume(session, on: first, client: client)
        #expect(again.isResumed && again.peerCertificates == pki.client.chain)
    }

    @Test(arguments: [TLSVersion.v1_2, .v1_3])
    func otherKeysMeanAFullHandshake(version: TLSVersion) throws {
        let client = try TLSFixtures.client(version: version)
        let first = try Self.server(keyFile: try Self.keyFile([Self.randomKey()]), version: version)
        let other = try Self.server(keyFile: try Self.keyFile([Self.randomKey()]), version: version)
        let session = try Self.session(from: first, client: client)
        defer { SSL_SESSION_free(session) }
        let info = try Self.resume(session, on: other, client: client)
        #expect(!info.isResumed)
        #expect(info.verifyResult == .ok)
    }

    @Test(arguments: [TLSVersion.v1_2, .v1_3])
    func aKeyFileRotatesByPuttingTheNewKeyFirst(version: TLSVersion) throws {
        let (k1, k2, k3) = (Self.randomKey(), Self.randomKey(), Self.randomKey())
        let client = try TLSFixtures.client(version: version)
        let session = try Self.session(
            from: try Self.server(keyFile: try Self.keyFile([k1]), version: version),
            client: client
        )
        defer { SSL_SESSION_free(session) }
        let rotated = try Self.server(keyFile: try Self.keyFile([k2, k1]), version: version)
        #expect(try Self.resume(session, on: rotated, client: client).isResumed)
        let rotatedTwice = try Self.server(keyFile: try Self.keyFile([k3, k2]), version: version)
        #expect(try !Self.resume(session, on: rotatedTwice, client: client).isResumed)
        // Legacy 48-byte keys work the same way.
        let legacy = try Self.server(keyFile: try Self.keyFile([Self.randomKey(48)]), version: version)
        let legacySession = try Self.session(from: legacy, client: client)
        defer { SSL_SESSION_free(legacySession) }
        #expect(try Self.resume(legacySession, on: legacy, client: client).isResumed)
    }

    @Test(arguments: [TLSVersion.v1_2, .v1_3])
    func otherTrustMaterialOrModeMeansAFullHandshake(version: TLSVersion) throws {
        let pki = try TestPKI.shared()
        let keys = try Self.keyFile([Self.randomKey()])
        let client = try TLSFixtures.client(version: version)
        let session = try Self.session(from: try Self.server(keyFile: keys, version: version), client: client)
        defer { SSL_SESSION_free(session) }
        let moreCAs = try Self.server(keyFile: keys, trusted: [pki.rootCAFile, pki.strangerCAFile], version: version)
        #expect(try !Self.resume(session, on: moreCAs, client: client).isResumed)
        let requiring = try Self.server(keyFile: keys, mode: .require, version: version)
        #expect(try !Self.resume(session, on: requiring, client: client).isResumed)
        // A session without a client certificate never resumes where one is required.
        let anonymous = try Self.session(
            from: try Self.server(keyFile: keys, mode: .require, version: version),
            client: client
        )
        SSL_SESSION_free(anonymous)
        let noCertificate = try TLSFixtures.client(presenting: nil, version: version)
        let requestSession = try Self.session(
            from: try Self.server(keyFile: keys, version: version),
            client: noCertificate
        )
        defer { SSL_SESSION_free(requestSession) }
        let pair = try TLSChannelPair(server: requiring, client: noCertificate, offering: requestSession)
        defer { pair.finish() }
        try pair.shuttle()
        try? pair.send("pong", from: pair.client)
        try? pair.shuttle()
        #expect(pair.serverRecorder.handshake?.isResumed != true)
        #expect(String(buffer: pair.serverRecorder.received) != "pong")
    }

    @Test(arguments: [TLSVersion.v1_2, .v1_3])
    func aReloadedContextWithRandomKeysDoesNotResumeTheOldContextsSessions(version: TLSVersion) throws {
        let clientContext = try TLSFixtures.client(version: version)
        let session = try Self.session(from: try TLSFixtures.server(version: version), client: clientContext)
        defer { SSL_SESSION_free(session) }
        // A new context with the same settings and no key file: its own random keys cannot open the ticket.
        let info = try Self.resume(session, on: try TLSFixtures.server(version: version), client: clientContext)
        #expect(!info.isResumed)
        #expect(info.verifyResult == .ok)
    }

    @Test func rotatingKeysEncryptForOnePeriodAndDecryptForOneMore() throws {
        let ring = SessionTicketKeyRing(rotatingEvery: 100)
        let first = try #require(ring.encryptionKey(at: 1_000))
        #expect(ring.encryptionKey(at: 1_099) == first)
        let second = try #require(ring.encryptionKey(at: 1_100))
        #expect(second != first)
        func opens(_ key: SessionTicketKey, at now: Int) -> (SessionTicketKey, Bool)? {
            key.name.withUnsafeBufferPointer { ring.decryptionKey(named: $0, at: now) }.map { ($0.key, $0.isNewest) }
        }
        #expect(opens(first, at: 1_150).map { $0.0 == first && !$0.1 } == true)  // still opens, renewed
        #expect(opens(second, at: 1_150).map { $0.0 == second && $0.1 } == true)
        #expect(opens(first, at: 1_200) == nil)  // two periods old
        let third = try #require(ring.encryptionKey(at: 1_200))
        #expect(opens(first, at: 1_200) == nil && opens(second, at: 1_250) != nil && opens(third, at: 1_250) != nil)
    }

    @Test func aKeyFileOfTheWrongLengthIsAConfigurationErrorNamingTheFile() throws {
        for length in [0, 79, 81, 80 * 17] {
            let file = try Self.keyFile([Self.randomKey(length)])
            #expect {
                _ = try SessionTicketKeyRing(file: file)
            } throws: { error in
                let error = error as? TLSError
                return error?.code == .invalidConfiguration && error?.key == "sessionTicketKeyFile"
                    && error?.detail.contains(file) == true
            }
        }
        #expect(throws: TLSError.self) { _ = try SessionTicketKeyRing(file: "/nonexistent/ticket.key") }
        #expect(SessionTicketKey.keys(inFile: Self.randomKey(160))?.count == 2)
        #expect(SessionTicketKey.keys(inFile: Self.randomKey(96))?.count == 2)
    }
}
