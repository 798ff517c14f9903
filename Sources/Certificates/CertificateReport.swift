public import Foundation

/// What `gatehouse certs inspect` shows of one certificate, ready for text or JSON.
///
/// Thumbprints come in two spellings: uppercase hex without separators (as Azure and Windows show them and
/// as a policy's `thumbprint` takes them) and with colons (as `openssl x509 -fingerprint` prints them).
///
/// ```swift
/// let report = CertificateReport(certificate, now: Date())
/// print(report.text)
/// ```
public struct CertificateReport: Sendable, Hashable, Codable {
    /// A thumbprint in both spellings.
    public struct Thumbprint: Sendable, Hashable, Codable {
        /// Uppercase hex, no separators: `3F2A…`.
        public var hex: String
        /// Uppercase hex with colons: `3F:2A:…`.
        public var colons: String

        /// Both spellings of `bytes`.
        public init(_ bytes: [UInt8]) {
            self.hex = bytes.hexString
            self.colons = bytes.map { [$0].hexString }.joined(separator: ":")
        }
    }

    /// The public key.
    public struct Key: Sendable, Hashable, Codable {
        /// `EC`, `RSA`, ….
        public var algorithm: String
        /// The size in bits.
        public var bits: Int
        /// The EC curve, e.g. `P-256`.
        public var curve: String?
    }

    /// Subject, RFC 4514.
    public var subject: String
    /// Issuer, RFC 4514.
    public var issuer: String
    /// Serial number, uppercase hex.
    public var serialNumber: String
    /// notBefore, ISO 8601 (UTC).
    public var notBefore: String
    /// notAfter, ISO 8601 (UTC).
    public var notAfter: String
    /// Whole days from `now` until notAfter; negative once expired.
    public var daysRemaining: Int
    /// `valid`, `expired` or `not yet valid` at `now`.
    public var validity: String
    /// subjectAlternativeName entries as `DNS:…`, `IP:…`, `URI:…`, `email:…`.
    public var subjectAlternativeNames: [String]
    /// The public key.
    public var key: Key
    /// Whether basicConstraints says CA:TRUE.
    public var isCertificateAuthority: Bool
    /// Whether subject equals issuer.
    public var isSelfIssued: Bool
    /// keyUsage bits; `nil` when the extension is absent.
    public var keyUsage: [String]?
    /// extendedKeyUsage purposes (`serverAuth`, `clientAuth`, or a dotted OID); `nil` when absent.
    public var extendedKeyUsage: [String]?
    /// SHA-1 of the DER.
    public var sha1: Thumbprint
    /// SHA-256 of the DER.
    public var sha256: Thumbprint
    /// SHA-256 of the SubjectPublicKeyInfo, hex.
    public var spkiSHA256: String
    /// The same, base64 (as HTTP public-key pinning spelled it).
    public var spkiSHA256Base64: String

    /// Builds the report of `certificate` as seen at `now`.
    public init(_ certificate: Certificate, now: Date = Date()) {
        let formatter = ISO8601DateFormatter()
        let key = certificate.publicKeyDescription
        self.subject = certificate.subject
        self.issuer = certificate.issuer
        self.serialNumber = certificate.serialNumberHex
        self.notBefore = formatter.string(from: certificate.notBefore)
        self.notAfter = formatter.string(from: certificate.notAfter)
        self.daysRemaining = Int((certificate.notAfter.timeIntervalSince(now) / 86_400).rounded(.down))
        self.validity =
            now < certificate.notBefore ? "not yet valid" : (now > certificate.notAfter ? "expired" : "valid")
        self.subjectAlternativeNames = certificate.subjectAlternativeNames.map(\.description)
        self.key = Key(algorithm: key.algorithm, bits: key.bits, curve: key.curve)
        self.isCertificateAuthority = certificate.isCertificateAuthority
        self.isSelfIssued = certificate.isSelfIssued
        self.keyUsage = certificate.keyUsage?.map(\.rawValue)
        self.extendedKeyUsage = certificate.extendedKeyUsage?.map { usage in
            switch usage {
            case .serverAuth: "serverAuth"
            case .clientAuth: "clientAuth"
            case .other(let oid): oid
            }
        }
        self.sha1 = Thumbprint(certificate.sha1)
        self.sha256 = Thumbprint(certificate.sha256)
        self.spkiSHA256 = certificate.spkiSHA256.hexString
        self.spkiSHA256Base64 = Data(certificate.spkiSHA256).base64EncodedString()
    }
}

/// The reports of every certificate in one file, as `certs inspect --json` prints them.
public struct CertificateFileReport: Sendable, Hashable, Codable {
    /// The path as given.
    public var file: String
    /// `PEM`, `DER` or `PKCS#12`.
    public var format: String
    /// One report per certificate, in file order (for PKCS#12: the leaf first).
    public var certificates: [CertificateReport]

    /// Reads `path` (see ``CertificateFile/read(_:password:)``) and reports every certificate at `now`.
    /// - Throws: ``CertificateError`` naming the file.
    public init(file path: String, password: String? = nil, now: Date = Date()) throws {
        let (format, certificates) = try CertificateFile.read(path, password: password)
        self.file = path
        self.format = format.rawValue
        self.certificates = certificates.map { CertificateReport($0, now: now) }
    }

    /// Stable JSON: sorted keys, two-space indentation as Foundation prints it, a trailing newline.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
    }
}
