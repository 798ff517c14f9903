import Foundation
import GatehouseCertificates
import Synchronization

/// Chains this policy has already verified, by the leaf's SHA-256, so a returning client is not verified again.
///
/// `X509_verify_cert` is most of a full handshake's cost in OpenSSL 3.0; like ASP.NET's certificate-validation
/// cache, a hit re-checks only time: the entry holds when every CA certificate of the verified path (and, with
/// revocation on, every CRL) is valid at `now`. The leaf's own validity is the policy's rule check, run on
/// every evaluation. Keying by the leaf alone is sound because the trust store, intermediates and CRLs are fixed
/// for the policy's life (a reload builds a new policy, so the cache belongs to one trust generation), and extra
/// certificates a client sends can add paths but never invalidate one. It also keeps the identity of a resumed
/// TLS session, whose peer chain is only the leaf. Only successes are stored, at most ``capacity`` of them and
/// about ``byteCapacity`` bytes.
final class VerificationCache: Sendable {
    /// One verified path and the window in which it stays valid.
    struct Entry: Sendable {
        let chain: [Certificate]
        let validFrom: Date
        let validUntil: Date
    }

    /// Entries kept before the cache starts over; bounds memory against many distinct clients.
    static let capacity = 10_000
    /// About the bytes the entries may hold before the cache starts over: each costs its parsed leaf (about
    /// 5.7 KiB plus twice its DER) and 1 KiB; the path's CA certificates are shared with the trust store and other
    /// entries.
    static let byteCapacity = 64 * 1024 * 1024

    private struct Entries {
        var byLeaf: [[UInt8]: Entry] = [:]
        var bytes = 0
    }

    private let entries = Mutex(Entries())

    /// The verified path of the leaf with SHA-256 `leafSHA256`, if it is cached and still valid at `now`.
    func chain(forLeaf leafSHA256: [UInt8], at now: Date) -> [Certificate]? {
        guard let entry = self.entries.withLock({ $0.byLeaf[leafSHA256] }) else { return nil }
        return entry.validFrom <= now && now <= entry.validUntil ? entry.chain : nil
    }

    /// Remembers that `chain` (leaf first, as verified) is valid between its CA certificates' and `crls`' times.
    func store(_ chain: [Certificate], forLeaf leafSHA256: [UInt8], crls: [CertificateRevocationList]) {
        var validFrom = Date.distantPast
        var validUntil = Date.distantFuture
        for certificate in chain.dropFirst() {
            validFrom = max(validFrom, certificate.notBefore)
            validUntil = min(validUntil, certificate.notAfter)
        }
        for crl in crls {
            validFrom = max(validFrom, crl.thisUpdate)
            if let nextUpdate = crl.nextUpdate { validUntil = min(validUntil, nextUpdate) }
        }
        let entry = Entry(chain: chain, validFrom: validFrom, validUntil: validUntil)
        let cost = 2 * (chain.first?.derBytes.count ?? 0) + 7 * 1024
        self.entries.withLock { entries in
            if entries.byLeaf.count >= Self.capacity || entries.bytes + cost > Self.byteCapacity {
                entries.byLeaf.removeAll(keepingCapacity: true)
                entries.bytes = 0
            }
            if entries.byLeaf.updateValue(entry, forKey: leafSHA256) == nil { entries.bytes += cost }
        }
    }
}
