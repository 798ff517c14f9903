import COpenSSL
import Synchronization

/// A number for one set of trust material — trusted CAs, configured intermediates, CRLs and the verification's
/// purpose and revocation scope — that keys the ``VerifiedChainCache`` beside the presented chain.
///
/// One process-wide counter hands them out, interned by a digest of the material: a TLS context and a policy (or a
/// reload) whose material is the same get the same generation and so share their verifications, and any change
/// (a CA added, a CRL reissued) gives a new one, so nothing verified under the old material answers for the new.
package struct TrustGeneration: Hashable, Sendable, CustomStringConvertible {
    /// The generation's number, unique in the process for its material.
    package let value: UInt64
    /// The SHA-256 of the material itself: the same in every process that loads the same material, so another
    /// replica can tell whether a session ticket's verdict was reached under its own trust material.
    package let materialDigest: [UInt8]

    /// The generation of the given material (the same as any earlier build of identical material, while it is
    /// among the last ``internedCapacity`` distinct ones).
    ///
    /// Order and duplicates do not matter; the CRLs count only when `revocation` is not `.none`.
    package static func of(
        trustedCAs: [Certificate],
        intermediates: [Certificate] = [],
        crls: [CertificateRevocationList] = [],
        purpose: VerifyPurpose,
        revocation: RevocationCheck = .none
    ) -> TrustGeneration {
        var material: [UInt8] = Array("purpose \(purpose); revocation \(revocation)\n".utf8)
        for certificate in Set(trustedCAs.map(\.sha256)).sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            material += certificate
        }
        material += Array("intermediates\n".utf8)
        for certificate in Set(intermediates.map(\.sha256)).sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            material += certificate
        }
        if revocation != .none {
            material += Array("crls\n".utf8)
            for crl in Set(crls.map(\.derSHA256)).sorted(by: { $0.lexicographicallyPrecedes($1) }) {
                material += crl
            }
        }
        let digest = Digest.sha256(material)
        return TrustGeneration(value: interned.withLock { $0.generation(for: digest) }, materialDigest: digest)
    }

    /// How many distinct sets of material keep their generation; an older one gets a new number when built again
    /// (its entries then go unused and age out).
    package static let internedCapacity = 1_024

    /// `generation N`.
    package var description: String { "generation \(self.value)" }
}

/// The interned generations, oldest first, and the next number.
private struct Interner: ~Copyable {
    var byMaterial: [[UInt8]: UInt64] = [:]
    var order: [[UInt8]] = []
    var next: UInt64 = 1

    mutating func generation(for material: [UInt8]) -> UInt64 {
        if let known = self.byMaterial[material] { return known }
        if self.order.count >= TrustGeneration.internedCapacity {
            self.byMaterial[self.order.removeFirst()] = nil
        }
        let value = self.next
        self.next += 1
        self.byMaterial[material] = value
        self.order.append(material)
        return value
    }
}

private let interned = Mutex(Interner())

extension CertificateRevocationList {
    /// SHA-256 of the CRL's DER encoding.
    var derSHA256: [UInt8] {
        self.withUnsafeCRL { crl in
            var der: UnsafeMutablePointer<UInt8>? = nil
            let length = i2d_X509_CRL(crl, &der)
            guard length > 0, let der else { return [] }
            defer { CRYPTO_free(der, #fileID, #line) }
            return Digest.sha256(Array(UnsafeBufferPointer(start: der, count: Int(length))))
        }
    }
}
