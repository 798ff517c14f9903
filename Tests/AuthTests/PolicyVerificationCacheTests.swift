import Foundation
@_spi(Benchmarks) import GatehouseAuth
import GatehouseCertificates
import GatehouseTransport
import TestSupport
import Testing

@Suite("Policy verification cache: a verified leaf is not verified again")
struct PolicyVerificationCacheTests {
    let pki: PolicyTestPKI
    init() throws { self.pki = try PolicyTestPKI.shared() }
    var base: TestPKI { self.pki.base }

    @Test func aResumedSessionPresentingOnlyTheLeafKeepsItsIdentity() throws {
        let policy = try makePolicy()  // trusts the root only: the leaf alone cannot be verified from scratch
        #expect(try reasons(policy, [self.base.client.certificate]) == [.untrusted])
        let full = try #require(policy.evaluate(chain: self.base.client.chain, at: self.base.referenceTime).identity)
        let resumed = try #require(
            policy.evaluate(chain: [self.base.client.certificate], at: self.base.referenceTime).identity
        )
        #expect(resumed.verifiedChain == full.verifiedChain)
        #expect(resumed.verifiedChain == [self.base.client.certificate, self.base.intermediateCA, self.base.rootCA])
    }

    @Test func aHitStillChecksTheLeafAndTheCAsTimes() throws {
        let policy = try makePolicy()
        #expect(try reasons(policy, self.base.client.chain) == [])
        let afterIntermediate = self.base.intermediateCA.notAfter.addingTimeInterval(60)
        let late = try reasons(policy, self.base.client.chain, at: afterIntermediate)
        #expect(late.contains(.untrusted))  // the cached path is not used once a CA of it has expired
    }

    @Test func aNewPolicyStartsWithAnEmptyCache() throws {
        let first = try makePolicy()
        #expect(try reasons(first, self.base.client.chain) == [])
        #expect(try reasons(makePolicy(), [self.base.client.certificate]) == [.untrusted])
    }
}

@Suite("One verification per new client: listener and policies share the verified-chain cache")
struct SharedVerificationTests {
    let pki: PolicyTestPKI
    init() throws { self.pki = try PolicyTestPKI.shared() }
    var base: TestPKI { self.pki.base }

    private func load(
        _ name: String,
        in cache: VerifiedChainCache,
        _ configure: (inout PolicyConfiguration) -> Void = { _ in }
    ) throws -> ClientCertificatePolicy {
        var configuration = PolicyConfiguration()
        configuration.trustedCAs = [self.base.rootCAFile]
        configure(&configuration)
        return try ClientCertificatePolicy.load(configuration, name: name, relativeTo: nil, verifiedChains: cache)
    }

    @Test func policiesWithTheSameTrustMaterialShareOneVerification() throws {
        let cache = VerifiedChainCache()
        let partners = try self.load("partners", in: cache)
        let named = try self.load("named", in: cache) { $0.identities = [identity { $0.commonName = "client" }] }
        let deeper = try self.load("deeper", in: cache) { $0.maxChainDepth = 8 }
        for policy in [partners, named, deeper] {
            #expect(policy.evaluate(chain: self.base.client.chain, at: self.base.referenceTime).identity != nil)
        }
        #expect(cache.statistics.misses == 1 && cache.statistics.hits == 2)
        // Other trust material (here: CA certificates not checked for client authentication) verifies on its own.
        let lenient = try self.load("lenient", in: cache) { $0.requireClientAuthEKU = false }
        #expect(lenient.evaluate(chain: self.base.client.chain, at: self.base.referenceTime).identity != nil)
        #expect(cache.statistics.misses == 2 && cache.statistics.count == 2)
    }

    @Test func aShallowPolicyRefusesADeepPathItShares() throws {
        let cache = VerifiedChainCache()
        let shallow = try self.load("shallow", in: cache) { $0.maxChainDepth = 0 }
        let normal = try self.load("normal", in: cache)
        #expect(normal.evaluate(chain: self.base.client.chain, at: self.base.referenceTime).identity != nil)
        let rejection = shallow.evaluate(chain: self.base.client.chain, at: self.base.referenceTime).rejection
        #expect(rejection?.reasons == [.chainTooDeep])
        #expect(cache.statistics.misses == 1)
    }

    @Test(arguments: [TLSVersion.v1_2, .v1_3])
    func aListenerAndAPolicyTrustingTheSameCAVerifyANewClientOnce(version: TLSVersion) throws {
        let cache = VerifiedChainCache()
        let (server, client) = try serverAndClient(self.base, cache: cache, mode: .request, version: version)
        let policy = try self.load("default", in: cache)
        for connection in 1...2 {
            let info = try handshake(server: server, client: client)
            let entry = try #require(info.verifiedChain)
            #expect(info.verifyResult == .ok)
            #expect(info.peerCertificates == self.base.client.chain)
            #expect(info.peerCertificates.first === entry.presented?.first)  // the entry's objects, not a copy
            let identity = policy.evaluate(chain: info.peerCertificates, verifiedChain: entry, at: Date()).identity
            #expect(identity?.verifiedChain == entry.path)
            // One X509_verify_cert for the first connection (the handshake's, which the policy reuses); none for
            // the second (its handshake hits the entry, and the policy takes it from the connection).
            #expect(cache.statistics.misses == 1 && cache.statistics.hits == 2 * connection - 1, "\(cache.statistics)")
        }
    }
}

@Suite("Connections presenting the same chain share one decision")
struct SharedDecisionTests {
    let pki: PolicyTestPKI
    init() throws { self.pki = try PolicyTestPKI.shared() }
    var base: TestPKI { self.pki.base }

    /// A server context and a client context presenting the test client's chain, verifying through `cache`.
    private func contexts(_ cache: VerifiedChainCache) throws -> (server: TLSContext, client: TLSContext) {
        try serverAndClient(self.base, cache: cache, mode: .require)
    }

    /// The first request's answer on a new connection whose handshake `server` and `client` make.
    private func decide(
        _ authenticator: ClientCertificateAuthenticator,
        server: TLSContext,
        client: TLSContext
    ) throws -> ClientCertificateIdentity? {
        let tls = try handshake(server: server, client: client)
        let info = ConnectionInfo(id: 1, remoteAddress: nil, localAddress: nil, httpVersion: .http1_1, tls: tls)
        let context = RequestContext(connection: info, connectionStore: ConnectionStore())
        guard
            case .authenticated(let identity) = try authenticator.authenticateOnFastPath(helloRequest, context: context)
        else { return nil }
        return identity
    }

    @Test func aSecondConnectionTakesTheFirstOnesDecisionWithoutEvaluating() throws {
        let cache = VerifiedChainCache()
        let (server, client) = try self.contexts(cache)
        var configuration = PolicyConfiguration()
        configuration.trustedCAs = [self.base.rootCAFile]
        let policy = try ClientCertificatePolicy.load(configuration, name: "p", relativeTo: nil, verifiedChains: cache)
        let authenticator = ClientCertificateAuthenticator(policy: PolicyHandle(policy), logger: quietLogger)
        let first = try #require(try self.decide(authenticator, server: server, client: client))
        // The first connection: its handshake verifies (a miss), its policy takes the handshake's entry (a hit).
        #expect(cache.statistics.misses == 1 && cache.statistics.hits == 1, "\(cache.statistics)")
        let second = try #require(try self.decide(authenticator, server: server, client: client))
        // The second: its handshake hits the entry, and no evaluation follows (it would count another hit).
        #expect(cache.statistics.misses == 1 && cache.statistics.hits == 2, "\(cache.statistics)")
        #expect(second == first && second.subject == self.base.client.certificate.subject)
    }

    @Test func anotherPolicyOrAReloadEvaluatesAgain() throws {
        let cache = VerifiedChainCache()
        let (server, client) = try self.contexts(cache)
        var configuration = PolicyConfiguration()
        configuration.trustedCAs = [self.base.rootCAFile]
        let policy = try ClientCertificatePolicy.load(configuration, name: "p", relativeTo: nil, verifiedChains: cache)
        let handle = PolicyHandle(policy)
        let authenticator = ClientCertificateAuthenticator(policy: handle, logger: quietLogger)
        let other = ClientCertificateAuthenticator(policy: PolicyHandle(policy), logger: quietLogger)
        #expect(try self.decide(authenticator, server: server, client: client) != nil)
        #expect(cache.statistics.hits == 1)
        #expect(try self.decide(other, server: server, client: client) != nil)  // not the first one's decision
        #expect(cache.statistics.hits == 3, "\(cache.statistics)")
        // A refusing policy after a reload: the shared acceptance of the earlier generation does not answer.
        configuration.identities = [identity { $0.commonName = "somebody else" }]
        handle.replace(
            with: try ClientCertificatePolicy.load(configuration, name: "p", relativeTo: nil, verifiedChains: cache)
        )
        #expect(try self.decide(authenticator, server: server, client: client) == nil)
    }
}

/// Runs a TLS handshake between a server and a client session over memory BIOs; the server's session facts.
private func handshake(server: TLSContext, client: TLSContext) throws -> TLSSessionInfo {
    let serverSession = try TLSConnection(context: server)
    let clientSession = try TLSConnection(context: client)
    var (serverDone, clientDone) = (false, false)
    for _ in 0..<16 where !(serverDone && clientDone) {
        if !clientDone { clientDone = clientSession.handshake() == .done }
        if let bytes = clientSession.drainOutput() { serverSession.feed(bytes) }
        if !serverDone { serverDone = serverSession.handshake() == .done }
        if let bytes = serverSession.drainOutput() { clientSession.feed(bytes) }
    }
    try #require(serverDone && clientDone)
    return serverSession.sessionInfo()
}

/// A server context trusting `base`'s root and verifying through `cache`, and a client context presenting `base`'s
/// client chain; both at `version` when one is given.
private func serverAndClient(
    _ base: TestPKI,
    cache: VerifiedChainCache,
    mode: ClientCertificateMode,
    version: TLSVersion? = nil
) throws -> (server: TLSContext, client: TLSContext) {
    let server = try TLSContext(
        server: TLSConfiguration(
            identity: .pem(certificateChainFile: base.server.chainFile, privateKeyFile: base.server.keyFile),
            clientCertificateMode: mode,
            trustedCAFiles: [base.rootCAFile],
            minimumVersion: version ?? .v1_2,
            maximumVersion: version ?? .v1_3
        ),
        verifiedChains: cache
    )
    let client = try TLSContext(
        client: TLSClientConfiguration(
            identity: .pem(certificateChainFile: base.client.chainFile, privateKeyFile: base.client.keyFile),
            trustedCAFiles: [base.rootCAFile],
            serverName: "localhost",
            minimumVersion: version ?? .v1_2,
            maximumVersion: version ?? .v1_3
        )
    )
    return (server, client)
}
