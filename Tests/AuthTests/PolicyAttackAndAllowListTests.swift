import Foundation
import GatehouseAuth
import GatehouseCertificates
import TestSupport
import Testing

@Suite("Attacks, the allow-list and the seed's three policies")
struct PolicyAttackAndAllowListTests {
    let pki: PolicyTestPKI
    init() throws { self.pki = try PolicyTestPKI.shared() }
    var base: TestPKI { self.pki.base }

    /// Seed policy 1: the subject name, with trust validation.
    func subjectPolicy() throws -> ClientCertificatePolicy {
        try makePolicy(name: "seed1") { configuration, _ in
            configuration.identities = [identity { $0.subject = "CN=client, O=Gatehouse Tests" }]
        }
    }

    @Test func seedPolicy1SubjectName() throws {
        let policy = try self.subjectPolicy()
        let identity = try #require(
            policy.evaluate(chain: self.base.client.chain, at: self.base.referenceTime).identity
        )
        #expect(identity.matchedIdentity?.index == 0)
        #expect(try reasons(policy, self.base.rootClient.chain) == [.noIdentityMatched])
    }

    @Test func selfSignedCertificateCopyingTheSubjectIsUntrusted() throws {
        #expect(try reasons(self.subjectPolicy(), self.pki.copycatClient.chain) == [.untrusted])
    }

    @Test func certificateFromACAWhoseNameCopiesOursIsUntrusted() throws {
        #expect(self.pki.rogueClient.certificate.issuerName == self.base.client.certificate.issuerName)
        #expect(try reasons(self.subjectPolicy(), self.pki.rogueClient.chain) == [.untrusted])
        let withItsCA = self.pki.rogueClient.chain + [self.pki.rogueCA]
        #expect(try reasons(self.subjectPolicy(), withItsCA) == [.untrusted])
    }

    @Test func caCertificateServerEKUExpiredNotYetValidAndRevokedAreRefused() throws {
        let policy = try makePolicy { configuration, pki in
            configuration.validateRevocation = true
            configuration.crls = [pki.intermediateCRLFile]
        }
        // (Also untrusted here: no CRL from the root to check the intermediate-as-leaf against.)
        #expect(try reasons(policy, [self.base.intermediateCA, self.base.rootCA]).first == .notAClientCertificate)
        #expect(try reasons(policy, self.base.serverEKUClient.chain) == [.notAClientCertificate])
        #expect(try reasons(policy, self.base.expiredClient.chain) == [.expired])
        #expect(try reasons(policy, self.base.notYetValidClient.chain) == [.notYetValid])
        #expect(try reasons(policy, self.pki.revokedClient.chain) == [.revoked])
    }

    @Test func seedPolicy2UploadedCertificatesComparedBySubject() throws {
        let policy = try makePolicy(name: "seed2") { configuration, pki in
            configuration.certificates = [pki.base.client.certificateFile]
            configuration.allowListMatch = .subject
        }
        #expect(try reasons(policy, self.base.client.chain) == [])
        #expect(try reasons(policy, self.base.rootClient.chain) == [.notOnAllowList])
        // Same subject, but the chain must still verify.
        #expect(try reasons(policy, self.pki.copycatClient.chain) == [.untrusted])
    }

    @Test func seedPolicy3UploadedCertificatesByThumbprintPinASelfSignedClientWithTrustOn() throws {
        let policy = try makePolicy(name: "seed3") { configuration, pki in
            configuration.trustedCAs = []
            configuration.certificates = [pki.allowListDirectory]
        }
        #expect(policy.configuration.validateTrust)
        let identity = try #require(
            policy.evaluate(chain: self.base.selfSignedClient.chain, at: self.base.referenceTime).identity
        )
        #expect(identity.verifiedChain == [self.base.selfSignedClient.certificate])
        #expect(try reasons(policy, self.pki.copycatClient.chain) == [.notOnAllowList, .untrusted])
        #expect(try reasons(policy, self.base.client.chain).first == .notOnAllowList)
        // Pinning one certificate does not turn trust off for the others: with the root trusted too, a
        // listed certificate still has to be the exact one.
        #expect(policy.sourcePaths.contains(self.pki.allowListDirectory))
    }

    @Test func allowListBySPKIAcceptsTheSameKeyAndStillVerifies() throws {
        let policy = try makePolicy { configuration, pki in
            configuration.certificates = [pki.base.client.certificateFile]
            configuration.allowListMatch = .spki
        }
        #expect(try reasons(policy, self.base.client.chain) == [])
        #expect(try reasons(policy, self.base.rootClient.chain) == [.notOnAllowList])
    }

    @Test func anEmptyAllowListDirectoryAdmitsNobody() throws {
        let policy = try makePolicy { configuration, pki in configuration.certificates = [pki.emptyDirectory] }
        #expect(try reasons(policy, self.base.client.chain) == [.notOnAllowList])
    }

    @Test func exactAllowListWithTrustedCAsStillRefusesOthers() throws {
        let policy = try makePolicy { configuration, pki in
            configuration.certificates = [pki.base.client.certificateFile]
        }
        #expect(try reasons(policy, self.base.client.chain) == [])
        #expect(try reasons(policy, self.base.rootClient.chain) == [.notOnAllowList])
    }
}
