/// A dictionary of at most `capacity` entries that drops the least recently used one to make room.
///
/// Lookups and insertions are O(1): the entries form a doubly linked list through their slot indices, most recently
/// used first, so no lookup moves an element of an array.
struct LeastRecentlyUsed<Key: Hashable, Value> {
    private struct Node {
        let key: Key
        var value: Value
        var newer: Int?
        var older: Int?
    }

    let capacity: Int
    private var slots: [Node] = []
    private var index: [Key: Int] = [:]
    private var newest: Int?
    private var oldest: Int?

    /// An empty dictionary holding at most `capacity` entries (0 holds none).
    init(capacity: Int) {
        self.capacity = max(0, capacity)
    }

    /// How many entries it holds.
    var count: Int { self.index.count }

    /// How many entries its storage has room for without growing: what bounds its memory, whatever was stored.
    var storageCapacity: Int { max(self.slots.capacity, self.index.capacity) }

    /// The value for `key`, which becomes the most recently used; `nil` when absent.
    mutating func value(for key: Key) -> Value? {
        guard let slot = self.index[key] else { return nil }
        self.unlink(slot)
        self.pushNewest(slot)
        return self.slots[slot].value
    }

    /// Stores `value` for `key` as the most recently used entry, dropping the least recently used when full.
    mutating func set(_ value: Value, for key: Key) {
        guard self.capacity > 0 else { return }
        if let slot = self.index[key] {
            self.slots[slot].value = value
            self.unlink(slot)
            self.pushNewest(slot)
            return
        }
        let slot: Int
        if self.index.count < self.capacity {
            slot = self.slots.count
            self.slots.append(Node(key: key, value: value, newer: nil, older: nil))
        } else {
            // Full: reuse the oldest entry's slot.
            guard let victim = self.oldest else { return }
            self.unlink(victim)
            self.index[self.slots[victim].key] = nil
            self.slots[victim] = Node(key: key, value: value, newer: nil, older: nil)
            slot = victim
        }
        self.index[key] = slot
        self.pushNewest(slot)
    }

    private mutating func unlink(_ slot: Int) {
        let node = self.slots[slot]
        if let newer = node.newer { self.slots[newer].older = node.older } else { self.newest = node.older }
        if let older = node.older { self.slots[older].newer = node.newer } else { self.oldest = node.newer }
        self.slots[slot].newer = nil
        self.slots[slot].older = nil
    }

    private mutating func pushNewest(_ slot: Int) {
        self.slots[slot].older = self.newest
        self.slots[slot].newer = nil
        if let newest = self.newest { self.slots[newest].newer = slot }
        self.newest = slot
        if self.oldest == nil { self.oldest = slot }
    }
}
