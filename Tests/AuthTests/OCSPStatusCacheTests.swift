import Foundation
import GatehouseCertificates
import Synchronization
import TestSupport
import Testing

@testable import GatehouseAuth

@Suite("The OCSP status cache stays bounded")
struct OCSPStatusCacheTests {
    private let generation = TrustGeneration.of(trustedCAs: [], purpose: .clientAuth)

    private func key(_ number: Int) -> OCSPStatusCache.Key {
        var digest = [UInt8](repeating: 0, count: 32)
        withUnsafeBytes(of: number.littleEndian) { digest.replaceSubrange(0..<8, with: $0) }
        return OCSPStatusCache.Key(leafSHA256: digest, responder: "http://127.0.0.1:8888", generation: self.generation)
    }

    private var good: OCSPOutcome {
        .answered(OCSPAnswer(status: .good, thisUpdate: Date(), nextUpdate: Date().addingTimeInterval(3600)))
    }

    @Test func leastRecentlyUsedEntryGoesFirst() {
        var entries = LeastRecentlyUsed<Int, String>(capacity: 3)
        for number in 1...3 { entries.set("\(number)", for: number) }
        #expect(entries.value(for: 1) == "1")  // 1 is now the most recently used
        entries.set("4", for: 4)  // drops 2
        #expect(entries.count == 3)
        #expect(entries.value(for: 2) == nil)
        #expect(entries.value(for: 1) == "1")
        #expect(entries.value(for: 3) == "3")
        #expect(entries.value(for: 4) == "4")
        entries.set("three", for: 3)  // replaces in place
        #expect(entries.count == 3)
        #expect(entries.value(for: 3) == "three")
        var none = LeastRecentlyUsed<Int, String>(capacity: 0)
        none.set("1", for: 1)
        #expect(none.count == 0)
    }

    /// 800,000 statuses into a cache of 1,000 (unbounded they would take 140 to 320 MiB): the count, the storage and
    /// the entries kept stay those of the bound. The storage and the release of what is dropped (next test) are what
    /// memory is made of; the process's RSS is not measured here, because the other tests of this process allocate
    /// at the same time.
    @Test func fillingBeyondTheBoundKeepsTheCountAndTheStorage() async throws {
        let cache = OCSPStatusCache(capacity: 1_000)
        let now = Date()
        let good = self.good
        let keys = self.key
        /// Stores 200,000 new statuses on a thread of its own, so that the concurrency pool's few threads stay free
        /// for the other tests.
        func fill(round: Int) async {
            await withCheckedContinuation { continuation in
                Thread.detachNewThread {
                    for number in 0..<200_000 { cache.store(good, for: keys(round * 200_000 + number), at: now) }
                    continuation.resume()
                }
            }
        }
        await fill(round: 0)  // the cache at its bound
        #expect(cache.count == 1_000)
        let storageAtTheBound = cache.storageCapacity
        #expect(storageAtTheBound >= 1_000 && storageAtTheBound <= 2_000, "\(storageAtTheBound)")
        for round in 1...3 { await fill(round: round) }
        #expect(cache.count == 1_000)
        #expect(cache.storageCapacity == storageAtTheBound)
        #expect(cache.entry(for: self.key(4 * 200_000 - 1), at: now) != nil)
        #expect(cache.entry(for: self.key(4 * 200_000 - 1_000), at: now) != nil)
        #expect(cache.entry(for: self.key(4 * 200_000 - 1_001), at: now) == nil)
        #expect(cache.entry(for: self.key(0), at: now) == nil)
    }

    /// Every key and value the cache drops or replaces is released: only the bound's worth stay alive.
    @Test func droppedAndReplacedEntriesAreReleased() {
        let alive = AliveCount()
        var entries = LeastRecentlyUsed<Tracked, Tracked>(capacity: 100)
        for number in 0..<10_000 {
            entries.set(Tracked(number, alive), for: Tracked(number, alive))
            // Replaces the value; the equal key is not kept.
            entries.set(Tracked(number, alive), for: Tracked(number, alive))
        }
        #expect(entries.count == 100)
        #expect(alive.value.load(ordering: .relaxed) == 2 * 100, "keys and values alive")
        #expect(entries.storageCapacity <= 200)
    }

    @Test func entriesHoldUntilNextUpdateAndFailuresBriefly() {
        let cache = OCSPStatusCache(capacity: 10)
        let now = Date()
        let nextUpdate = now.addingTimeInterval(600)
        cache.store(
            .answered(OCSPAnswer(status: .good, thisUpdate: now, nextUpdate: nextUpdate)),
            for: self.key(1),
            at: now
        )
        #expect(cache.entry(for: self.key(1), at: now.addingTimeInterval(599)) != nil)
        #expect(cache.entry(for: self.key(1), at: now.addingTimeInterval(601)) == nil)
        // No nextUpdate: the default max age.
        cache.store(.answered(OCSPAnswer(status: .good, thisUpdate: now, nextUpdate: nil)), for: self.key(2), at: now)
        #expect(cache.entry(for: self.key(2), at: now.addingTimeInterval(3599)) != nil)
        #expect(cache.entry(for: self.key(2), at: now.addingTimeInterval(3601)) == nil)
        // A failure, and `unknown`, for 30 s whatever the response said.
        cache.store(.failed(OCSPError(.unreachable, "test")), for: self.key(3), at: now)
        cache.store(
            .answered(OCSPAnswer(status: .unknown, thisUpdate: now, nextUpdate: nextUpdate)),
            for: self.key(4),
            at: now
        )
        for number in [3, 4] {
            #expect(cache.entry(for: self.key(number), at: now.addingTimeInterval(29)) != nil)
            #expect(cache.entry(for: self.key(number), at: now.addingTimeInterval(31)) == nil)
        }
    }

    @Test func aReloadKeepsThePolicysCacheUnlessItsSizeChanges() {
        let caches = OCSPStatusCaches()
        let first = caches.cache(for: "partners", capacity: 10)
        #expect(caches.cache(for: "partners", capacity: 10) === first)
        #expect(caches.cache(for: "others", capacity: 10) !== first)
        let resized = caches.cache(for: "partners", capacity: 20)
        #expect(resized !== first)
        #expect(resized.capacity == 20)
    }

    @Test func loadingRefusesUnusableSettings() throws {
        let pki = try PolicyTestPKI.shared()
        func error(_ configure: (inout OCSPConfiguration) -> Void, validateTrust: Bool = true) -> String? {
            var configuration = PolicyConfiguration()
            configuration.trustedCAs = [pki.base.rootCAFile]
            configuration.validateTrust = validateTrust
            configuration.allowInsecure = true
            var ocsp = OCSPConfiguration()
            configure(&ocsp)
            configuration.ocsp = ocsp
            do {
                _ = try ClientCertificatePolicy.load(configuration, name: "p", relativeTo: nil)
                return nil
            } catch let error as PolicyError {
                return error.key
            } catch {
                return "\(error)"
            }
        }
        #expect(error { _ in } == nil)
        #expect(error({ _ in }, validateTrust: false) == "policies.p.ocsp")
        #expect(error { $0.responder = "https://ocsp.example" } == "policies.p.ocsp.responder")
        #expect(error { $0.responder = "http://" } == "policies.p.ocsp.responder")
        #expect(error { $0.responder = "http://127.0.0.1:8888/ocsp" } == nil)
        #expect(error { $0.timeout = .zero } == "policies.p.ocsp.timeout")
        #expect(error { $0.cacheSize = 0 } == "policies.p.ocsp.cacheSize")
    }
}

/// How many ``Tracked`` instances are alive.
private final class AliveCount: Sendable {
    let value = Atomic<Int>(0)
}

/// A key or value that counts the instances alive.
private final class Tracked: Hashable, Sendable {
    let number: Int
    let alive: AliveCount

    init(_ number: Int, _ alive: AliveCount) {
        self.number = number
        self.alive = alive
        alive.value.wrappingAdd(1, ordering: .relaxed)
    }

    deinit { self.alive.value.wrappingSubtract(1, ordering: .relaxed) }

    static func == (lhs: Tracked, rhs: Tracked) -> Bool { lhs.number == rhs.number }

    func hash(into hasher: inout Hasher) { hasher.combine(self.number) }
}
