import GatehouseCertificates

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A ``HandshakeVerificationCache``'s slots, indexes, clock hand and shared intermediates, guarded by its mutex.
struct VerificationCacheState: ~Copyable {
    struct Slot {
        let key: ChainKey
        let chain: VerifiedChain
        var referenced: Bool
    }

    let capacity: Int
    /// The most bytes (``VerifiedChain/cost``) the slots may hold; past it, a new chain takes an old one's slot.
    let byteCapacity: Int
    var bytes = 0
    let intermediateCapacity: Int
    var slots: [Slot] = []
    var index: [ChainKey: Int] = [:]
    /// Slots by the address of their presented leaf's `X509`; the slot holds a reference, so no address is reused.
    var byLeaf: [UInt: Int] = [:]
    /// Intermediates of verified chains by the SHA-256 of their DER, shared by every chain that presents them.
    /// Only certificates of verified chains enter, so the set stays small; when full, new ones are not shared.
    var intermediates: [ChainKey: Certificate] = [:]
    var hand = 0
    var statistics = HandshakeVerificationCache.Statistics()

    init(capacity: Int, byteCapacity: Int, intermediateCapacity: Int) {
        self.capacity = capacity
        self.byteCapacity = byteCapacity
        self.intermediateCapacity = intermediateCapacity
    }

    /// The cached chain for `key` if it is valid at `now`; counts a hit.
    mutating func lookup(_ key: ChainKey, at now: time_t) -> VerifiedChain? {
        guard let slot = self.index[key] else { return nil }
        let chain = self.slots[slot].chain
        guard chain.validFrom <= now && now <= chain.validUntil else { return nil }
        self.slots[slot].referenced = true
        self.statistics.hits += 1
        return chain
    }

    /// The shared copy of each presented certificate after the leaf (`nil` where there is none), aligned with
    /// `digests`.
    func intermediates(for digests: [ChainKey]) -> [Certificate?] {
        digests.indices.map { $0 == 0 ? nil : self.intermediates[digests[$0]] }
    }

    /// The presented certificates of the slot whose presented leaf is at address `leaf`.
    func presented(forLeaf leaf: UInt) -> [Certificate]? {
        self.byLeaf[leaf].flatMap { self.slots[$0].chain.presented }
    }

    /// Stores `chain` under `key`, replacing an older entry for it or evicting the first slot the clock hand
    /// finds unreferenced since its last pass; shares its intermediates (`digests` after the leaf).
    mutating func insert(_ chain: VerifiedChain, for key: ChainKey, digests: [ChainKey]) {
        self.statistics.misses += 1
        let slot: Int
        if let existing = self.index[key] {
            slot = existing
        } else if self.slots.count < self.capacity && (self.slots.isEmpty || self.bytes < self.byteCapacity) {
            slot = self.slots.count
        } else {
            let count = self.slots.count
            while self.slots[self.hand].referenced {
                self.slots[self.hand].referenced = false
                self.hand = (self.hand + 1) % count
            }
            slot = self.hand
            self.hand = (self.hand + 1) % count
        }
        self.bytes += chain.cost
        let entry = Slot(key: key, chain: chain, referenced: false)
        if slot < self.slots.count {
            let old = self.slots[slot]
            if let leaf = old.chain.presentedLeaf, self.byLeaf[leaf] == slot { self.byLeaf[leaf] = nil }
            self.index[old.key] = nil
            self.bytes -= old.chain.cost
            self.slots[slot] = entry
        } else {
            self.slots.append(entry)
        }
        self.index[key] = slot
        if let leaf = chain.presentedLeaf { self.byLeaf[leaf] = slot }
        guard let presented = chain.presented, presented.count == digests.count else { return }
        for position in presented.indices.dropFirst() where self.intermediates[digests[position]] == nil {
            guard self.intermediates.count < self.intermediateCapacity else { break }
            self.intermediates[digests[position]] = presented[position]
        }
    }
}
