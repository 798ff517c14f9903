import COpenSSL
import Foundation
import GatehouseCertificateAuthority
import GatehouseCertificates
import NIOCore
import NIOEmbedded
import Synchronization
import TestSupport
import Testing

@testable import GatehouseTransport

@Suite struct TLSVerificationCacheTests {
    /// A full handshake of a fresh client against `server`; returns the pair (finished by the caller).
    private func handshake(
        _ server: TLSContext,
        presenting client: TestPKI.Client? = .client,
        version: TLSVersion = .v1_3
    ) throws -> TLSChannelPair {
        let pair = try TLSChannelPair(server: server, client: TLSFixtures.client(presenting: client, version: version))
        try pair.shuttle()
        return pair
    }

    private func statistics(_ context: TLSContext) throws -> VerifiedChainCache.Statistics {
        try #require(context.verifiedChains).statistics
    }

    @Test(arguments: [TLSVersion.v1_2, .v1_3], [ClientCertificateMode.request, .require])
    func aSecondHandshakeWithTheSameChainHitsTheCache(version: TLSVersion, mode: ClientCertificateMode) throws {
        let pki = try TestPKI.shared()
        let server = try TLSFixtures.server(mode: mode, version: version)
        var identities: [[Certificate]] = []
        for round in 1...2 {
            let pair = try self.handshake(server, version: version)
            defer { pair.finish() }
            let info = try #require(pair.serverRecorder.handshake)
            #expect(info.peerCertificates == pki.client.chain)
            identities.append(info.peerCertificates)
            #expect(info.verifyResult == .ok)
            // The verified path OpenSSL exposes is the same whether it came from the cache or not.
            let verified = try pair.serverConnection().withUnsafeSSL { ssl in
                let stack = try #require(SSL_get0_verified_chain(ssl))
                return (0..<gatehouse_sk_X509_num(stack)).compactMap { gatehouse_sk_X509_value(stack, $0) }
                    .map { Certificate(copying: $0) }
            }
            #expect(verified == [pki.client.certificate, pki.intermediateCA, pki.rootCA])
            try pair.send("ping \(round)", from: pair.client)
            #expect(String(buffer: pair.serverRecorder.received) == "ping \(round)")
        }
        let statistics = try self.statistics(server)
        #expect(statistics.hits == 1 && statistics.misses == 1 && statistics.count == 1)
        // The second session holds the first one's parsed certificates, not copies of its own.
        #expect(zip(identities[0], identities[1]).allSatisfy { $0 === $1 })
    }

    @Test func sharedCertificatesOutliveTheSessionsThatUsedThem() throws {
        let pki = try TestPKI.shared()
        let server = try TLSFixtures.server()
        let watch = X509FreeWatch.shared
        for round in 1...6 {
            let pair = try self.handshake(server)
            let info = try #require(pair.serverRecorder.handshake)
            let leaf = try #require(info.peerCertificate)
            if round == 1 { leaf.withUnsafeX509 { watch.watch($0) } }
            pair.finish()  // frees this session and its references before the next handshake
            #expect(leaf.subject == pki.client.certificate.subject)
        }
        // Five sessions shared the first one's leaf and are gone; the cache still holds it.
        #expect(!watch.watchedWasFreed)
        #expect(try self.statistics(server).hits == 5)
    }

    @Test func clientsOfOneIntermediateShareIt() throws {
        let pki = try TestPKI.shared()
        let server = try TLSFixtures.server(mode: .require)
        let other = try self.mintClient(issuer: pki.intermediateAuthority, chain: [pki.intermediateCA])
        var intermediates: [Certificate] = []
        for client in [try TLSFixtures.client(), other] {
            let pair = try TLSChannelPair(server: server, client: client)
            defer { pair.finish() }
            try pair.shuttle()
            let info = try #require(pair.serverRecorder.handshake)
            #expect(info.verifyResult == .ok && info.peerCertificates.count == 2)
            intermediates.append(info.peerCertificates[1])
        }
        #expect(intermediates[0] === intermediates[1])
        let statistics = try self.statistics(server)
        #expect(statistics.misses == 2 && statistics.hits == 0 && statistics.sharedIntermediates == 1)
    }

    /// A client context presenting a new certificate from `issuer`, followed by `chain`.
    private func mintClient(issuer: CertificateAuthority, chain: [Certificate]) throws -> TLSContext {
        let pki = try TestPKI.shared()
        let issued = try issuer.issue(
            CertificateSpec(
                subject: [.commonName("second-client")],
                kind: .client,
                notBefore: Date().addingTimeInterval(-60)
            )
        )
        let prefix = (pki.directory as NSString).appendingPathComponent("second-client-\(UUID().uuidString)")
        let files = try issued.write(prefix: prefix)
        let chainFile = prefix + "-chain.pem"
        try ([issued.certificate] + chain).pemString.write(toFile: chainFile, atomically: true, encoding: .utf8)
        return try TLSContext(
            client: TLSClientConfiguration(
                identity: .pem(certificateChainFile: chainFile, privateKeyFile: files[1]),
                trustedCAFiles: [pki.rootCAFile],
                serverName: "localhost"
            )
        )
    }

    @Test func aDifferentChainMisses() throws {
        let server = try TLSFixtures.server()
        for client in [TestPKI.Client.client, .rootClient] {
            let pair = try self.handshake(server, presenting: client)
            defer { pair.finish() }
            #expect(try #require(pair.serverRecorder.handshake).verifyResult == .ok)
        }
        let statistics = try self.statistics(server)
        #expect(statistics.hits == 0 && statistics.misses == 2 && statistics.count == 2)
    }

    @Test(arguments: [TestPKI.Client.strangerClient, .expiredClient, .notYetValidClient])
    func anUntrustedOrOutOfDateChainFailsEveryTime(client: TestPKI.Client) throws {
        let requireServer = try TLSFixtures.server(mode: .require)
        let requestServer = try TLSFixtures.server(mode: .request)
        for _ in 1...2 {
            let rejected = try self.handshake(requireServer, presenting: client)
            defer { rejected.finish() }
            #expect(rejected.serverRecorder.handshake == nil)
            #expect(rejected.serverRecorder.tlsErrors.first?.code == .handshakeFailed)

            let requested = try self.handshake(requestServer, presenting: client)
            defer { requested.finish() }
            let result = try #require(requested.serverRecorder.handshake?.verifyResult)
            #expect(!result.isOK)
        }
        // A chain from an unknown CA never takes a slot; one whose CA path verifies does (the leaf's own time is
        // checked at every handshake, from the entry), and fails every time all the same.
        let verifies = client != .strangerClient
        for server in [requireServer, requestServer] {
            let statistics = try self.statistics(server)
            #expect(statistics.count == (verifies ? 1 : 0) && statistics.hits == (verifies ? 1 : 0))
        }
    }

    @Test func aCachedChainIsReverifiedOutsideItsValidityWindow() throws {
        let pki = try TestPKI.shared()
        let server = try TLSFixtures.server()
        func verify(at time: Date) throws -> CertificateVerifyResult {
            server.withUnsafeContext {
                X509_VERIFY_PARAM_set_time(SSL_CTX_get0_param($0), time_t(time.timeIntervalSince1970))
            }
            let pair = try self.handshake(server)
            defer { pair.finish() }
            return try #require(pair.serverRecorder.handshake?.verifyResult)
        }
        let inside = pki.client.certificate.notBefore.addingTimeInterval(60)
        #expect(try verify(at: inside) == .ok)
        // Past the leaf's end the entry still answers for the CA path, and the leaf's own time fails the chain.
        #expect(try verify(at: pki.client.certificate.notAfter.addingTimeInterval(60)).isExpired)
        #expect(try self.statistics(server).hits == 1 && self.statistics(server).misses == 1)
        // Past the intermediate's end the entry no longer applies: verified again, and refused.
        #expect(try !verify(at: pki.intermediateCA.notAfter.addingTimeInterval(60)).isOK)
        #expect(try self.statistics(server).hits == 1 && self.statistics(server).misses == 2)
        // Back inside the window, the entry answers again.
        #expect(try verify(at: inside) == .ok)
        #expect(try self.statistics(server).hits == 2)
    }

    @Test func revocationChecksBypassTheCache() throws {
        let pki = try TestPKI.shared()
        let server = try TLSFixtures.server(mode: .require)
        let store = try #require(server.trustStore)
        let crl = try pki.intermediateAuthority.issueCRL(
            revoking: [pki.client.certificate],
            lastUpdate: Date().addingTimeInterval(-60),
            nextUpdate: Date().addingTimeInterval(3600)
        )
        let rootCRL = try pki.rootAuthority.issueCRL(
            revoking: [],
            lastUpdate: Date().addingTimeInterval(-60),
            nextUpdate: Date().addingTimeInterval(3600)
        )
        for list in [crl, rootCRL] {
            _ = store.withUnsafeStore { store in list.withUnsafeCRL { X509_STORE_add_crl(store, $0) } }
        }
        server.withUnsafeContext {
            _ = X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param($0), UInt(X509_V_FLAG_CRL_CHECK))
        }
        for _ in 1...2 {
            let revoked = try self.handshake(server)
            defer { revoked.finish() }
            #expect(revoked.serverRecorder.handshake == nil)
        }
        let other = try self.handshake(server, presenting: .rootClient)
        defer { other.finish() }
        #expect(try #require(other.serverRecorder.handshake).verifyResult == .ok)
        let statistics = try self.statistics(server)
        #expect(statistics.bypasses == 3 && statistics.hits == 0 && statistics.count == 0)
    }

    @Test func theOldestUnusedChainIsEvictedWhenFull() throws {
        let pki = try TestPKI.shared()
        let store = pki.makeTrustStore()
        let cache = VerifiedChainCache(limits: VerificationCacheLimits(maxEntries: 2))
        let generation = TrustGeneration.of(trustedCAs: store.certificates, purpose: .clientAuth)
        func verify(_ chain: [Certificate]) -> Int32 {
            store.withUnsafeStore { x509Store in
                let context = X509_STORE_CTX_new()!
                defer { X509_STORE_CTX_free(context) }
                // Like OpenSSL's handshake, the stack owns a reference to each certificate (the cache may swap them).
                let untrusted = gatehouse_sk_X509_new_null()!
                defer { gatehouse_sk_X509_pop_free(untrusted) }
                for certificate in chain {
                    _ = certificate.withUnsafeX509 { x509 in
                        X509_up_ref(x509)
                        return gatehouse_sk_X509_push(untrusted, x509)
                    }
                }
                return chain[0].withUnsafeX509 { leaf in
                    _ = X509_STORE_CTX_init(context, x509Store, leaf, untrusted)
                    return cache.verifyHandshake(storeContext: context, generation: generation, failsOnError: false)
                        .result
                }
            }
        }
        #expect(verify(pki.client.chain) == 1)  // miss
        #expect(verify(pki.rootClient.chain) == 1)  // miss
        #expect(verify(pki.client.chain) == 1)  // hit: marks client as used
        #expect(verify(pki.serverEKUClient.chain) == 1)  // miss: evicts rootClient (unused since the hand passed)
        #expect(verify(pki.rootClient.chain) == 1)  // miss again
        #expect(verify([pki.client.certificate, pki.intermediateCA, pki.rootCA]) == 1)  // another chain: a miss
        let statistics = cache.statistics
        #expect(statistics.count == 2)
        #expect(statistics.hits == 1 && statistics.misses == 5)
    }

    @Test(arguments: [TLSVersion.v1_2, .v1_3])
    func aResumedSessionKeepsTheClientLeafAndVerdict(version: TLSVersion) throws {
        let pki = try TestPKI.shared()
        let server = try TLSFixtures.server(version: version)
        let clientContext = try TLSFixtures.client(version: version)
        let first = try TLSChannelPair(server: server, client: clientContext)
        defer { first.finish() }
        try first.shuttle()
        try first.send("ping", from: first.client)  // the client reads the TLS 1.3 tickets on the way
        let session = try first.clientSession()
        defer { SSL_SESSION_free(session) }

        let resumed = try TLSChannelPair(server: server, client: clientContext, offering: session)
        defer { resumed.finish() }
        try resumed.shuttle()
        let info = try #require(resumed.serverRecorder.handshake)
        #expect(info.isResumed)
        // The session comes from the server's cache: the whole chain, the same objects as the full handshake's.
        #expect(info.peerCertificates == pki.client.chain)
        let original = try #require(first.serverRecorder.handshake).peerCertificates
        #expect(zip(info.peerCertificates, original).allSatisfy { $0 === $1 })
        #expect(info.verifyResult == .ok)
        #expect(try self.statistics(server).hits == 0)  // no certificate was sent, none verified
        try resumed.send("pong", from: resumed.client)
        #expect(String(buffer: resumed.serverRecorder.received) == "pong")
    }
}

/// Reports whether one `X509` has been freed, through an ex_data free callback OpenSSL calls for every `X509` it
/// frees (a reference counted one time too few is freed while still in use).
final class X509FreeWatch: Sendable {
    static let shared = X509FreeWatch()

    private init() {
        _ = CRYPTO_get_ex_new_index(CRYPTO_EX_INDEX_X509, 0, nil, nil, nil, x509FreeCallback)
    }

    /// Starts watching `x509` (one at a time).
    func watch(_ x509: OpaquePointer) {
        watchedAddress.store(Int(bitPattern: UnsafeRawPointer(x509)), ordering: .relaxed)
        watchedFreed.store(false, ordering: .relaxed)
    }

    /// Whether the watched `X509` has been freed since ``watch(_:)``.
    var watchedWasFreed: Bool { watchedFreed.load(ordering: .relaxed) }
}

private let watchedAddress = Atomic<Int>(0)
private let watchedFreed = Atomic<Bool>(false)

private let x509FreeCallback:
    @convention(c) (
        UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafeMutablePointer<CRYPTO_EX_DATA>?, Int32, Int,
        UnsafeMutableRawPointer?
    ) -> Void = { parent, _, _, _, _, _ in
        if let parent, Int(bitPattern: parent) == watchedAddress.load(ordering: .relaxed) {
            watchedFreed.store(true, ordering: .relaxed)
        }
    }
