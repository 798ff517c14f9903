import COpenSSL
import Foundation

/// The algorithm and size of a generated private key.
public enum KeyType: Sendable, Hashable {
    /// ECDSA on NIST P-256 (the default: small and fast).
    case ecdsaP256
    /// RSA with the given modulus size: 2048, 3072 or 4096 bits.
    case rsa(bits: Int)
}

// @unchecked: the EVP_PKEY is never mutated after init; OpenSSL 3 keys are safe to read and sign with concurrently.
/// A private key (and its public half).
///
/// Wraps OpenSSL's `EVP_PKEY`; immutable after creation.
public final class PrivateKey: @unchecked Sendable {
    private let key: OpaquePointer  // EVP_PKEY*, owned

    /// Takes ownership of `key` (one reference); it is freed when this object is.
    package init(takingOwnership key: OpaquePointer) {
        self.key = key
    }

    deinit { EVP_PKEY_free(self.key) }

    /// Generates a fresh key.
    ///
    /// Cost: milliseconds for P-256, up to seconds for RSA 4096. Do not call on an event loop.
    /// - Throws: ``CertificateError/Code/generationFailed`` for an unsupported RSA size or an OpenSSL failure.
    public static func generate(_ type: KeyType = .ecdsaP256) throws -> PrivateKey {
        OpenSSLErrorQueue.clear()
        let key: OpaquePointer?
        switch type {
        case .ecdsaP256:
            key = gatehouse_EVP_PKEY_Q_keygen_ec("P-256")
        case .rsa(let bits):
            guard [2048, 3072, 4096].contains(bits) else {
                throw CertificateError(.generationFailed, "RSA key size \(bits) (use 2048, 3072 or 4096)")
            }
            key = gatehouse_EVP_PKEY_Q_keygen_rsa(bits)
        }
        guard let key else { throw CertificateError.fromOpenSSL(.generationFailed, "key generation (\(type))") }
        return PrivateKey(takingOwnership: key)
    }

    /// Parses a PEM private key (PKCS#8, traditional RSA or EC), decrypting it with `password` when it is encrypted.
    ///
    /// Never prompts: an encrypted key without a password is an error (OpenSSL's default would ask on the terminal
    /// and block the thread).
    /// - Parameters:
    ///   - password: the password of an encrypted key; `nil` for an unencrypted one.
    ///   - source: names the data in errors, e.g. the file path.
    /// - Throws: ``CertificateError/Code/wrongPassword`` for an encrypted key without the right password,
    ///   ``CertificateError/Code/invalidKey`` otherwise.
    public convenience init(pemBytes: [UInt8], password: String? = nil, source: String = "private key PEM") throws {
        OpenSSLErrorQueue.clear()
        var request = PEMPasswordRequest(password)
        let parsed: OpaquePointer? = pemBytes.withUnsafeBytes { raw in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return nil }
            defer { BIO_free(bio) }
            return withUnsafeMutablePointer(to: &request) { PEM_read_bio_PrivateKey(bio, nil, pemPasswordCallback, $0) }
        }
        guard let parsed else {
            guard request.wasAsked else { throw CertificateError.fromOpenSSL(.invalidKey, source) }
            OpenSSLErrorQueue.clear()
            let reason =
                password == nil
                ? "the private key is encrypted and no password was given"
                : "the password does not decrypt the private key"
            throw CertificateError(.wrongPassword, "\(source): \(reason)")
        }
        self.init(takingOwnership: parsed)
    }

    /// Reads a PEM private key file; see ``init(pemBytes:password:source:)``.
    /// - Throws: ``CertificateError/Code/unreadableFile``, ``CertificateError/Code/wrongPassword`` (an encrypted key
    ///   without the right password) or ``CertificateError/Code/invalidKey``, naming the file.
    public convenience init(pemFile path: String, password: String? = nil) throws {
        let bytes = try readFileBytes(path)
        try self.init(pemBytes: bytes, password: password, source: path)
    }

    /// Whether `path` holds an encrypted PEM private key: a PKCS#8 `ENCRYPTED PRIVATE KEY` block, or a traditional
    /// key with a `Proc-Type: 4,ENCRYPTED` header. Decrypts nothing; `false` when the file cannot be read.
    public static func isEncryptedPEM(file path: String) -> Bool {
        guard let bytes = try? readFileBytes(path) else { return false }
        let text = String(decoding: bytes, as: UTF8.self)
        return text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") || text.contains("Proc-Type: 4,ENCRYPTED")
    }

    /// The key as unencrypted PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    public func pemBytes() throws -> [UInt8] {
        OpenSSLErrorQueue.clear()
        guard let bio = BIO_new(BIO_s_mem()) else { throw CertificateError.fromOpenSSL(.openSSL, "BIO_new") }
        defer { BIO_free(bio) }
        guard PEM_write_bio_PrivateKey(bio, self.key, nil, nil, 0, nil, nil) == 1 else {
            throw CertificateError.fromOpenSSL(.openSSL, "PEM_write_bio_PrivateKey")
        }
        return Array(readAll(bio).utf8)
    }

    /// Whether this key is the private half of `certificate`'s public key.
    public func matches(_ certificate: Certificate) -> Bool {
        certificate.withUnsafeX509 { x509 in
            guard let publicKey = X509_get0_pubkey(x509) else { return false }
            return EVP_PKEY_eq(publicKey, self.key) == 1
        }
    }

    /// Lends the `EVP_PKEY*` to `body`; the pointer must not escape it.
    package func withUnsafeEVPKey<Result>(_ body: (OpaquePointer) throws -> Result) rethrows -> Result {
        try body(self.key)
    }
}
