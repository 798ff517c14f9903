import Foundation
import GatehouseCertificates
import Synchronization

/// The OCSP statuses a policy learnt, per certificate and responder, each until its response's nextUpdate.
///
/// Bounded: at most `capacity` entries (the policy's `ocsp.cacheSize`), the least recently used dropped first. A
/// status without nextUpdate is kept for ``OCSPConfiguration/defaultMaxAge``; a failure (or an `unknown` status)
/// for ``OCSPConfiguration/failureCacheTime``, so that a responder that is down is asked at most that often per
/// certificate. Entries are keyed by the policy's trust generation as well, so a reload with the same trust material
/// keeps them and one with other material does not use them.
public final class OCSPStatusCache: Sendable {
    /// One certificate's status as asked of one responder under one set of trust material.
    struct Key: Hashable, Sendable {
        let leafSHA256: [UInt8]
        let responder: String
        let generation: TrustGeneration
    }

    /// A status, or why there is none, and until when it answers.
    struct Entry: Sendable {
        let outcome: OCSPOutcome
        let validUntil: Date
    }

    private let entries: Mutex<LeastRecentlyUsed<Key, Entry>>

    /// A cache of at most `capacity` statuses.
    public init(capacity: Int) {
        self.entries = Mutex(LeastRecentlyUsed(capacity: capacity))
    }

    /// The most statuses it keeps.
    public var capacity: Int { self.entries.withLock { $0.capacity } }

    /// How many statuses it holds now (expired ones included until they are replaced or dropped).
    public var count: Int { self.entries.withLock { $0.count } }

    /// How many statuses its storage has room for without growing.
    var storageCapacity: Int { self.entries.withLock { $0.storageCapacity } }

    /// The entry for `key` while it holds at `now`.
    func entry(for key: Key, at now: Date) -> Entry? {
        guard let entry = self.entries.withLock({ $0.value(for: key) }), now < entry.validUntil else { return nil }
        return entry
    }

    /// Stores `outcome` for `key`, learnt at `now`; returns the entry.
    @discardableResult
    func store(_ outcome: OCSPOutcome, for key: Key, at now: Date) -> Entry {
        let entry = Entry(outcome: outcome, validUntil: outcome.validUntil(learntAt: now))
        self.entries.withLock { $0.set(entry, for: key) }
        return entry
    }
}

/// What asking a responder about one certificate gave: a verified answer, or the failure.
enum OCSPOutcome: Sendable {
    case answered(OCSPAnswer)
    case failed(OCSPError)

    /// Until when the outcome is reused: a `good` or `revoked` answer until its nextUpdate (or for the default max
    /// age when it has none); an `unknown` answer or a failure briefly.
    func validUntil(learntAt now: Date) -> Date {
        switch self {
        case .answered(let answer) where answer.status != .unknown:
            return answer.nextUpdate ?? now.addingTimeInterval(OCSPConfiguration.defaultMaxAge.seconds)
        case .answered, .failed:
            return now.addingTimeInterval(OCSPConfiguration.failureCacheTime.seconds)
        }
    }
}

extension Duration {
    /// The duration in seconds, as a `TimeInterval`.
    var seconds: TimeInterval {
        let (seconds, attoseconds) = self.components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}

/// One ``OCSPStatusCache`` per policy name, kept across reloads so that a reload does not forget the statuses
/// (entries carry the trust generation, so changed trust material does not reuse them). A changed `cacheSize`
/// gives the policy a new, empty cache.
package final class OCSPStatusCaches: Sendable {
    private let caches = Mutex([String: OCSPStatusCache]())

    /// An empty registry.
    package init() {}

    /// The cache of the policy named `policy`, holding at most `capacity` statuses.
    package func cache(for policy: String, capacity: Int) -> OCSPStatusCache {
        self.caches.withLock { caches in
            if let cache = caches[policy], cache.capacity == capacity { return cache }
            let cache = OCSPStatusCache(capacity: capacity)
            caches[policy] = cache
            return cache
        }
    }
}
