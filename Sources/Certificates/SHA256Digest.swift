import COpenSSL

/// A SHA-256, as four words so that hashing and comparing it allocates nothing: the keys of the
/// ``VerifiedChainCache``.
package struct SHA256Digest: Hashable, Sendable {
    var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    /// The digest in `bytes`, when they are 32.
    package init?(bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        withUnsafeMutableBytes(of: &self.words) { $0.copyBytes(from: bytes) }
    }

    init() {}

    /// The 32 bytes.
    package var bytes: [UInt8] { withUnsafeBytes(of: self.words) { Array($0) } }

    /// Equal when the 32 bytes are.
    package static func == (lhs: SHA256Digest, rhs: SHA256Digest) -> Bool { lhs.words == rhs.words }

    /// Hashes the four words.
    package func hash(into hasher: inout Hasher) {
        hasher.combine(self.words.0)
        hasher.combine(self.words.1)
        hasher.combine(self.words.2)
        hasher.combine(self.words.3)
    }
}

/// Computes SHA-256 digests with one `EVP_MD` fetched up front (an implicit fetch per digest costs more than
/// hashing a certificate).
// @unchecked: the EVP_MD is fetched in init and only read; each call uses its own EVP_MD_CTX.
final class SHA256Hasher: @unchecked Sendable {
    private let sha256: OpaquePointer?  // EVP_MD*, owned

    init() { self.sha256 = EVP_MD_fetch(nil, "SHA256", nil) }

    deinit { EVP_MD_free(self.sha256) }

    /// SHA-256 of `count` bytes at `bytes`.
    func digest(_ bytes: UnsafeRawPointer?, count: Int) -> SHA256Digest? {
        guard let sha256 = self.sha256, let context = EVP_MD_CTX_new() else { return nil }
        defer { EVP_MD_CTX_free(context) }
        var digest = SHA256Digest()
        var length: UInt32 = 0
        let finished = withUnsafeMutableBytes(of: &digest.words) { raw in
            EVP_DigestInit_ex(context, sha256, nil) == 1 && EVP_DigestUpdate(context, bytes, count) == 1
                && EVP_DigestFinal_ex(context, raw.baseAddress?.assumingMemoryBound(to: UInt8.self), &length) == 1
        }
        return finished && length == 32 ? digest : nil
    }

    /// SHA-256 of a DER encoding.
    func digest(_ bytes: [UInt8]) -> SHA256Digest? {
        bytes.withUnsafeBytes { self.digest($0.baseAddress, count: $0.count) }
    }

    /// SHA-256 of an `X509*`'s DER encoding.
    func digest(x509: OpaquePointer) -> SHA256Digest? {
        var der: UnsafeMutablePointer<UInt8>? = nil
        let length = i2d_X509(x509, &der)
        guard length > 0, let der else { return nil }
        defer { CRYPTO_free(der, #fileID, #line) }
        return self.digest(der, count: Int(length))
    }

    /// The SHA-256 over a chain's per-certificate digests, in order: the chain's key.
    func digest(chain digests: [SHA256Digest]) -> SHA256Digest? {
        digests.withUnsafeBytes { self.digest($0.baseAddress, count: $0.count) }
    }
}
