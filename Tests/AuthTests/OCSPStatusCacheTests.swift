import Foundation
import GatehouseCertificates
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

    @Test func fillingBeyondTheBoundKeepsTheCountAndTheMemory() async throws {
        let cache = OCSPStatusCache(capacity: 1_000)
        let now = Date()
        let good = self.good
        let keys = self.key
        /// Stores 200,000 new statuses (unbounded they take 35 to 80 MiB) on a thread of its own, so that the
        /// concurrency pool's few threads stay free for the other tests.
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
        // Other tests share this process and allocate meanwhile: their noise only adds, so the least growth of three
        // more fills is the cache's own.
        var growths: [Int] = []
        for round in 1...3 {
            let before = try ProcessResources(pid: getpid())
            await fill(round: round)
            growths.append(try ProcessResources(pid: getpid()).residentKiB - before.residentKiB)
        }
        print("OCSP status cache, 1,000 entries, RSS growth per 200,000 more statuses: \(growths) KiB")
        #expect(cache.count == 1_000)
        #expect(cache.entry(for: self.key(4 * 200_000 - 1), at: now) != nil)
        #expect(cache.entry(for: self.key(0), at: now) == nil)
        #expect(growths.min()! < 16 * 1024, "RSS growth \(growths) KiB")
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
