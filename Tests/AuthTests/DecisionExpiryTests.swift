import Foundation
import GatehouseAuth
import GatehouseCertificates
import GatehouseTransport
import Synchronization
import TestSupport
import Testing

/// A clock the test moves by hand.
final class TestClock: Sendable {
    private let time: Mutex<Date>

    init(_ time: Date) {
        self.time = Mutex(time)
    }

    var now: Date {
        get { self.time.withLock { $0 } }
        set { self.time.withLock { $0 = newValue } }
    }
}

@Suite("A connection's cached decision expires with the certificates it relied on")
struct DecisionExpiryTests {
    let pki: PolicyTestPKI
    init() throws { self.pki = try PolicyTestPKI.shared() }

    func authenticator(_ policy: ClientCertificatePolicy, clock: TestClock) -> ClientCertificateAuthenticator {
        ClientCertificateAuthenticator(policy: PolicyHandle(policy), logger: quietLogger, now: { clock.now })
    }

    @Test func aLeafThatExpiresMidConnectionIsRefusedOnTheNextRequest() async throws {
        let clock = TestClock(self.pki.base.referenceTime)
        let authenticator = self.authenticator(try makePolicy(), clock: clock)
        let store = ConnectionStore()
        let chain = self.pki.base.client.chain
        let notAfter = self.pki.base.client.certificate.notAfter
        #expect(
            try await authenticator.identity(helloRequest, context: context(presenting: chain, store: store))
                != nil
        )
        clock.now = notAfter
        // Still valid at its last second: answered from the cache (this context's facts differ on purpose).
        #expect(
            try await authenticator.identity(helloRequest, context: context(presenting: [], store: store))
                != nil
        )
        clock.now = notAfter.addingTimeInterval(1)
        let error = await #expect(throws: AuthenticationRefusal.self) {
            try await authenticator.identity(helloRequest, context: context(presenting: chain, store: store))
        }
        #expect(error?.reason == ClientCertificateRejection.Reason.expired.description)
    }

    @Test func withoutNotAfterChecksTheVerifiedCAsStillBound() async throws {
        let clock = TestClock(self.pki.base.referenceTime)
        let policy = try makePolicy { c, _ in c.validateNotAfter = false }
        let authenticator = self.authenticator(policy, clock: clock)
        let store = ConnectionStore()
        let chain = self.pki.base.client.chain
        #expect(
            try await authenticator.identity(helloRequest, context: context(presenting: chain, store: store))
                != nil
        )
        // The leaf's end does not count under this policy...
        clock.now = self.pki.base.client.certificate.notAfter.addingTimeInterval(86_400)
        #expect(
            try await authenticator.identity(helloRequest, context: context(presenting: chain, store: store))
                != nil
        )
        // ...but the intermediate CA's does: chain verification checks it against the clock.
        let caExpiry = min(self.pki.base.intermediateCA.notAfter, self.pki.base.rootCA.notAfter)
        clock.now = caExpiry.addingTimeInterval(1)
        let error = await #expect(throws: AuthenticationRefusal.self) {
            try await authenticator.identity(helloRequest, context: context(presenting: chain, store: store))
        }
        #expect(error?.reason == ClientCertificateRejection.Reason.untrusted.description)
    }

    @Test func aRefusalStandsForTheConnection() async throws {
        let clock = TestClock(self.pki.base.referenceTime)
        let authenticator = self.authenticator(try makePolicy(), clock: clock)
        let store = ConnectionStore()
        await #expect(throws: AuthenticationRefusal.self) {
            try await authenticator.identity(helloRequest, context: context(presenting: [], store: store))
        }
        // Later requests on the connection get the same answer without re-evaluating (their facts differ on purpose).
        clock.now = clock.now.addingTimeInterval(3_600)
        let error = await #expect(throws: AuthenticationRefusal.self) {
            let chain = self.pki.base.client.chain
            return try await authenticator.identity(helloRequest, context: context(presenting: chain, store: store))
        }
        #expect(error?.reason == ClientCertificateRejection.Reason.noCertificate.description)
    }

    @Test func theCoarseClockIsTheWallClock() {
        let coarse = CoarseClock.now()
        let precise = Date()
        // Within a kernel tick (a few ms); generous for a loaded machine.
        #expect(abs(coarse.timeIntervalSince(precise)) < 1)
    }
}
