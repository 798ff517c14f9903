/// A chain digest (the presented chain's, or a leaf's) under one trust generation.
struct GenerationKey: Hashable {
    let digest: SHA256Digest
    let generation: TrustGeneration
}

/// A ``VerifiedChainCache``'s slots, indexes, clock hand and shared intermediates, guarded by its mutex.
struct VerifiedChainCacheState: ~Copyable {
    typealias Entry = VerifiedChainCache.Entry

    struct Slot {
        let entry: Entry
        var referenced: Bool
    }

    let limits: VerificationCacheLimits
    /// The entries; `nil` marks a slot freed by a replacement, reused by the next insertion.
    var slots: [Slot?] = []
    var free: [Int] = []
    var count = 0
    var bytes = 0
    var index: [GenerationKey: Int] = [:]
    /// The newest entry of each leaf, for a resumed session (which presents only its leaf) and a policy asked
    /// about a leaf alone: extra certificates can add paths to a verified leaf but never take one away.
    var byLeaf: [GenerationKey: Int] = [:]
    /// Intermediates of verified chains by the SHA-256 of their DER, shared by every chain that presents them.
    /// Only certificates of verified chains enter, so the set stays small; when full, new ones are not shared.
    var intermediates: [SHA256Digest: Certificate] = [:]
    var hand = 0
    var statistics = VerifiedChainCache.Statistics()

    init(limits: VerificationCacheLimits) { self.limits = limits }

    /// The entry for the presented chain `key` under `generation` if it is valid at `now`; marks it used.
    mutating func lookup(_ key: SHA256Digest, _ generation: TrustGeneration, at now: Int) -> Entry? {
        self.use(self.index[GenerationKey(digest: key, generation: generation)], at: now)
    }

    /// The newest entry of the leaf `leaf` under `generation` if it is valid at `now`; marks it used.
    mutating func lookup(leaf: SHA256Digest, _ generation: TrustGeneration, at now: Int) -> Entry? {
        self.use(self.byLeaf[GenerationKey(digest: leaf, generation: generation)], at: now)
    }

    private mutating func use(_ slot: Int?, at now: Int) -> Entry? {
        guard let slot, let entry = self.slots[slot]?.entry, entry.isValid(at: now) else { return nil }
        self.slots[slot]?.referenced = true
        return entry
    }

    /// The shared copy of each presented certificate after the leaf (`nil` where there is none), aligned with
    /// `digests`.
    func intermediates(for digests: [SHA256Digest]) -> [Certificate?] {
        digests.indices.map { $0 == 0 ? nil : self.intermediates[digests[$0]] }
    }

    /// Stores `entry`, replacing an older entry for its chain, evicting by the clock (second-chance) rule until
    /// it fits both bounds; shares its presented intermediates (`digests` after the leaf).
    mutating func insert(_ entry: Entry, digests: [SHA256Digest]) {
        let key = GenerationKey(digest: entry.key, generation: entry.generation)
        if let existing = self.index[key] { self.remove(at: existing) }
        while self.count > 0
            && (self.count >= self.limits.maxEntries || self.bytes + entry.cost > self.limits.maxBytes)
        {
            self.evictOne()
        }
        let slot: Int
        if let reused = self.free.popLast() {
            slot = reused
            self.slots[slot] = Slot(entry: entry, referenced: false)
        } else {
            slot = self.slots.count
            self.slots.append(Slot(entry: entry, referenced: false))
        }
        self.count += 1
        self.bytes += entry.cost
        self.index[key] = slot
        self.byLeaf[GenerationKey(digest: entry.leafDigest, generation: entry.generation)] = slot
        guard let presented = entry.presented, presented.count == digests.count else { return }
        for position in presented.indices.dropFirst() where self.intermediates[digests[position]] == nil {
            guard self.intermediates.count < VerifiedChainCache.intermediateCapacity else { break }
            self.intermediates[digests[position]] = presented[position]
        }
    }

    /// Frees the first slot the clock hand finds unreferenced since its last pass.
    private mutating func evictOne() {
        while true {
            let position = self.hand
            self.hand = (self.hand + 1) % self.slots.count
            guard let slot = self.slots[position] else { continue }
            if slot.referenced {
                self.slots[position]?.referenced = false
            } else {
                self.remove(at: position)
                self.statistics.evictions += 1
                return
            }
        }
    }

    private mutating func remove(at position: Int) {
        guard let entry = self.slots[position]?.entry else { return }
        let key = GenerationKey(digest: entry.key, generation: entry.generation)
        if self.index[key] == position { self.index[key] = nil }
        let leaf = GenerationKey(digest: entry.leafDigest, generation: entry.generation)
        if self.byLeaf[leaf] == position { self.byLeaf[leaf] = nil }
        self.slots[position] = nil
        self.free.append(position)
        self.count -= 1
        self.bytes -= entry.cost
    }
}
