import Foundation
import GatehouseAuth
import GatehouseCertificates
import TestSupport
import Testing

@Suite("Hostile chains: rogue roots, CA purposes, malformed extensions, long chains")
struct PolicyHostileChainTests {
    let pki: PolicyTestPKI
    init() throws { self.pki = try PolicyTestPKI.shared() }
    var base: TestPKI { self.pki.base }

    @Test func aRogueRootCopyingTheTrustedRootsNameAndKeyIdentifierIsUntrusted() throws {
        let impostor = self.pki.rootImpostorClient
        #expect(impostor.chain[1].subject == self.base.rootCA.subject)
        #expect(
            AttackCertificateMinter.subjectKeyIdentifier(of: impostor.chain[1])
                == AttackCertificateMinter.subjectKeyIdentifier(of: self.base.rootCA)
        )
        let policy = try makePolicy()
        #expect(try reasons(policy, impostor.chain) == [.untrusted])
        #expect(try reasons(policy, [impostor.certificate]) == [.untrusted])
    }

    @Test func anIntermediateLimitedToServerAuthFailsTheChain() throws {
        let client = self.pki.serverAuthIntermediateClient
        #expect(client.certificate.allowsClientAuthentication)
        let rejection = try #require(
            try makePolicy().evaluate(chain: client.chain, at: self.base.referenceTime).rejection
        )
        #expect(rejection.reasons == [.untrusted])
        #expect(rejection.failures.contains { $0.detail.contains("unsuitable certificate purpose (depth 1)") })
        // With the EKU checks turned off by the operator, the CA's purpose is not checked either.
        let lenient = try makePolicy { configuration, _ in configuration.requireClientAuthEKU = false }
        #expect(try reasons(lenient, client.chain) == [])
    }

    @Test func aMalformedExtendedKeyUsageIsARefusal() throws {
        let client = self.pki.malformedEKUClient
        #expect(client.certificate.extendedKeyUsage == [])
        #expect(!client.certificate.allowsClientAuthentication)
        let found = try reasons(makePolicy(), client.chain)
        #expect(found.contains(.notAClientCertificate))
    }

    @Test func onlyMaxChainDepthPlusTwoCertificatesAreConsidered() throws {
        // The valid chain followed by many junk certificates still verifies: they are never looked at.
        let junk = try (0..<40).map { index in
            try AttackCertificateMinter.mint(
                commonName: "junk \(index)",
                key: self.base.client.key,
                issuer: nil,
                extensions: []
            )
        }
        #expect(try reasons(makePolicy(), self.base.client.chain + [self.base.rootCA] + junk) == [])
        // An intermediate sent only after junk is beyond the considered prefix: the chain does not verify (a new
        // policy: the first one's cache knows this leaf now).
        let buried = [self.base.client.certificate] + junk + [self.base.intermediateCA]
        #expect(try reasons(makePolicy(), buried) == [.untrusted])
    }
}
