import Foundation
import GatehouseAuth
import GatehouseCertificates
import GatehouseTransport
import HTTPTypes
import NIOCore
import TestSupport
import Testing

@Suite("Policy rules: a passing and a failing case per field")
struct PolicyRuleTests {
    let pki: PolicyTestPKI
    init() throws { self.pki = try PolicyTestPKI.shared() }
    var base: TestPKI { self.pki.base }

    @Test func defaultPolicyAcceptsAVerifiedClientAndKeepsTheVerifiedChain() throws {
        let policy = try makePolicy()
        let identity = try #require(
            policy.evaluate(chain: self.base.client.chain, at: self.base.referenceTime).identity
        )
        #expect(identity.verifiedChain == [self.base.client.certificate, self.base.intermediateCA, self.base.rootCA])
        #expect(identity.matchedIdentity == nil)
    }

    @Test func noCertificate() throws {
        #expect(try reasons(makePolicy(), []) == [.noCertificate])
    }

    @Test func validateTrust() throws {
        #expect(try reasons(makePolicy(), self.base.strangerClient.chain) == [.untrusted])
        let detail =
            try makePolicy().evaluate(chain: self.base.strangerClient.chain, at: self.base.referenceTime)
            .rejection?.description ?? ""
        #expect(detail.contains("unable to get local issuer certificate"))
        #expect(detail.contains(self.base.strangerClient.certificate.sha256.hexString))
        // Off (with a pinned key so the loader allows it): the stranger passes on its SPKI alone.
        let spki = self.base.strangerClient.certificate.spkiSHA256.hexString
        let off = try makePolicy { configuration, _ in
            configuration.validateTrust = false
            configuration.identities = [identity { $0.spki = spki }]
        }
        #expect(try reasons(off, self.base.strangerClient.chain) == [])
    }

    @Test func validateNotBeforeAndNotAfter() throws {
        let strict = try makePolicy()
        #expect(try reasons(strict, self.base.expiredClient.chain) == [.expired])
        #expect(try reasons(strict, self.base.notYetValidClient.chain) == [.notYetValid])
        let lenient = try makePolicy { configuration, _ in
            configuration.validateNotAfter = false
            configuration.validateNotBefore = false
        }
        // Only the leaf's time is forgiven; the chain still verifies to the root.
        #expect(try reasons(lenient, self.base.expiredClient.chain) == [])
        #expect(try reasons(lenient, self.base.notYetValidClient.chain) == [])
        // CA certificates' times are still checked: long after the CAs ended, trust fails.
        let farFuture = self.base.referenceTime.addingTimeInterval(20 * 365 * 86_400)
        #expect(try reasons(lenient, self.base.client.chain, at: farFuture) == [.untrusted])
    }

    @Test func validateRevocationForTheLeafAndTheWholeChain() throws {
        let leafOnly = try makePolicy { configuration, pki in
            configuration.validateRevocation = true
            configuration.crls = [pki.intermediateCRLFile]
        }
        #expect(try reasons(leafOnly, self.pki.revokedClient.chain) == [.revoked])
        #expect(try reasons(leafOnly, self.base.client.chain) == [])
        let wholeChain = try makePolicy { configuration, pki in
            configuration.validateRevocation = true
            configuration.validateRevocationForWholeChain = true
            configuration.crls = [pki.intermediateCRLDERFile]
        }
        // Without the root's CRL the intermediate cannot be checked.
        #expect(try reasons(wholeChain, self.base.client.chain) == [.untrusted])
        let complete = try makePolicy { configuration, pki in
            configuration.validateRevocation = true
            configuration.validateRevocationForWholeChain = true
            configuration.crls = [pki.intermediateCRLFile, pki.rootCRLFile]
        }
        #expect(try reasons(complete, self.base.client.chain) == [])
        #expect(try reasons(complete, self.pki.revokedClient.chain) == [.revoked])
        // Off: the revoked client passes.
        #expect(try reasons(makePolicy(), self.pki.revokedClient.chain) == [])
    }

    @Test func intermediatesFromTheClientOrFromTheConfiguration() throws {
        let leafOnly = [self.base.client.certificate]
        #expect(try reasons(makePolicy(), self.base.client.chain) == [])
        #expect(try reasons(makePolicy(), leafOnly) == [.untrusted])
        let withIntermediates = try makePolicy { configuration, pki in
            configuration.intermediates = [pki.base.intermediateCAFile]
        }
        #expect(try reasons(withIntermediates, leafOnly) == [])
    }

    @Test func requireClientAuthEKU() throws {
        let strict = try makePolicy()
        #expect(try reasons(strict, self.base.serverEKUClient.chain) == [.notAClientCertificate])
        let caAsClient = [self.base.intermediateCA]
        #expect(try reasons(strict, caAsClient) == [.notAClientCertificate])
        let lenient = try makePolicy { configuration, _ in configuration.requireClientAuthEKU = false }
        #expect(try reasons(lenient, self.base.serverEKUClient.chain) == [])
    }

    @Test func maxChainDepth() throws {
        let none = try makePolicy { configuration, _ in configuration.maxChainDepth = 0 }
        #expect(try reasons(none, self.base.client.chain) == [.chainTooDeep])
        #expect(try reasons(none, self.base.rootClient.chain) == [])
        let one = try makePolicy { configuration, _ in configuration.maxChainDepth = 1 }
        #expect(try reasons(one, self.base.client.chain) == [])
    }

    @Test func everyFailedCheckIsRecordedInOrder() throws {
        let policy = try makePolicy { configuration, _ in
            configuration.identities = [identity { $0.commonName = "somebody-else" }]
        }
        let reasons = try reasons(policy, self.base.expiredClient.chain.map { $0 } + [])
        #expect(reasons == [.expired, .noIdentityMatched])
    }

    @Test func theReasonIsExposedOnlyWhenConfigured() throws {
        let rejection = try #require(
            makePolicy().evaluate(chain: self.base.strangerClient.chain, at: self.base.referenceTime).rejection
        )
        let hidden = rejection.error(exposesDetail: false).response
        let shown = rejection.error(exposesDetail: true).response
        #expect(hidden.status.code == 403)
        #expect(hidden.status.reasonPhrase == "Invalid client certificate")
        #expect(!String(buffer: hidden.body).contains("untrusted"))
        #expect(String(buffer: shown.body).contains("untrusted"))
    }
}
