/// The bounds of the one cache of verified client chains a server keeps (`verificationCache:` in the
/// configuration file): how many chains, and about how many bytes of them.
///
/// Only chains that verified to a trusted CA take a slot, so a client cannot fill it with junk; past either bound
/// a new chain takes the slot of one unused since the clock hand last passed it.
public struct VerificationCacheLimits: Sendable, Hashable {
    /// The most chains kept (`maxEntries`, default 10,000).
    public var maxEntries: Int
    /// About the most bytes the kept chains hold (`maxBytes`, default 64 MiB): each costs its parsed leaf (about
    /// 6 KiB plus twice its DER) and 1 KiB; the intermediates that chains share are kept once each, at most
    /// 1,000 of them.
    public var maxBytes: Int

    /// Bounds with the defaults: 10,000 chains, 64 MiB.
    public init(maxEntries: Int = 10_000, maxBytes: Int = 64 * 1024 * 1024) {
        self.maxEntries = maxEntries
        self.maxBytes = maxBytes
    }
}
