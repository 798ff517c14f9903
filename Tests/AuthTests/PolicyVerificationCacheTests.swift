import Foundation
import GatehouseAuth
import GatehouseCertificates
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
