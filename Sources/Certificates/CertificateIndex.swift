public import Foundation

/// A CA directory's record of the certificates it issued and revoked, and of the last CRL number it used.
///
/// Kept as `index.json` next to `ca.crt`; `certs issue` appends to it and `certs revoke` marks entries
/// revoked and bumps ``crlNumber``. Serial numbers are uppercase hex without separators or leading zeros.
///
/// ```swift
/// var index = try CertificateIndex.load(file: "pki/index.json")
/// index.recordIssued(client.certificate, kind: "client", at: Date())
/// _ = index.revoke(serialNumber: client.certificate.serialNumberHex, at: Date())
/// try index.save(to: "pki/index.json")
/// ```
public struct CertificateIndex: Sendable, Hashable, Codable {
    /// One certificate the CA issued (or was told to revoke).
    public struct Entry: Sendable, Hashable, Codable {
        /// The serial number, normalized (see ``CertificateIndex/normalizedSerial(_:)``).
        public var serialNumber: String
        /// The subject, RFC 4514; empty when only the serial number is known.
        public var subject: String
        /// `client`, `server`, `intermediate`, or empty when unknown.
        public var kind: String
        /// When the certificate stops being valid; `nil` when unknown.
        public var notAfter: Date?
        /// When it was recorded as issued; `nil` when it was only revoked by serial number.
        public var issuedAt: Date?
        /// When it was revoked; `nil` while it is not.
        public var revokedAt: Date?

        /// Creates an entry.
        public init(
            serialNumber: String,
            subject: String,
            kind: String,
            notAfter: Date?,
            issuedAt: Date?,
            revokedAt: Date? = nil
        ) {
            self.serialNumber = CertificateIndex.normalizedSerial(serialNumber)
            self.subject = subject
            self.kind = kind
            self.notAfter = notAfter
            self.issuedAt = issuedAt
            self.revokedAt = revokedAt
        }
    }

    /// What ``CertificateIndex/revoke(serialNumber:at:)`` did.
    public enum RevocationOutcome: Sendable, Hashable {
        /// The entry is now revoked.
        case revoked
        /// The entry was already revoked at this date; nothing changed.
        case alreadyRevoked(Date)
        /// No issued certificate had this serial number; an entry was added and revoked.
        case revokedUnknownSerial
    }

    /// The number of the last CRL signed; 0 before the first.
    public var crlNumber: Int
    /// The entries, in the order they were recorded.
    public var certificates: [Entry]

    /// An empty record.
    public init(crlNumber: Int = 0, certificates: [Entry] = []) {
        self.crlNumber = crlNumber
        self.certificates = certificates
    }

    /// The entries that are revoked.
    public var revoked: [Entry] { self.certificates.filter { $0.revokedAt != nil } }

    /// Records a certificate as issued (replacing an entry with the same serial number).
    public mutating func recordIssued(_ certificate: Certificate, kind: String, at date: Date) {
        let entry = Entry(
            serialNumber: certificate.serialNumberHex,
            subject: certificate.subject,
            kind: kind,
            notAfter: certificate.notAfter,
            issuedAt: date
        )
        if let index = self.certificates.firstIndex(where: { $0.serialNumber == entry.serialNumber }) {
            self.certificates[index] = entry
        } else {
            self.certificates.append(entry)
        }
    }

    /// Marks the certificate with `serialNumber` (hex; case, colons and leading zeros ignored) as revoked.
    ///
    /// A serial number the record does not know is added as a revoked entry without a subject, so a CRL can
    /// list certificates issued before the record existed.
    public mutating func revoke(serialNumber: String, at date: Date) -> RevocationOutcome {
        let serial = Self.normalizedSerial(serialNumber)
        guard let index = self.certificates.firstIndex(where: { $0.serialNumber == serial }) else {
            self.certificates.append(
                Entry(
                    serialNumber: serial,
                    subject: "",
                    kind: "",
                    notAfter: nil,
                    issuedAt: nil,
                    revokedAt: date
                )
            )
            return .revokedUnknownSerial
        }
        if let earlier = self.certificates[index].revokedAt { return .alreadyRevoked(earlier) }
        self.certificates[index].revokedAt = date
        return .revoked
    }

    /// Returns the next CRL number and records it as used.
    public mutating func takeNextCRLNumber() -> Int {
        self.crlNumber += 1
        return self.crlNumber
    }

    /// Uppercase hex with colons, spaces and leading zeros removed (`0` for zero).
    public static func normalizedSerial(_ text: String) -> String {
        let digits = text.uppercased().filter { $0 != ":" && $0 != " " }
        let trimmed = digits.drop { $0 == "0" }
        return trimmed.isEmpty ? "0" : String(trimmed)
    }

    /// Whether `text` is a serial number in hex (colons and spaces allowed).
    public static func isSerialNumber(_ text: String) -> Bool {
        let digits = text.filter { $0 != ":" && $0 != " " }
        return !digits.isEmpty && digits.allSatisfy(\.isHexDigit)
    }
}

extension CertificateIndex {
    /// Reads a record; a missing file is an empty record.
    /// - Throws: ``CertificateError/Code/invalidRecord`` naming the file when it is not a valid record.
    public static func load(file path: String) throws -> CertificateIndex {
        guard FileManager.default.fileExists(atPath: path) else { return CertificateIndex() }
        let bytes = try readFileBytes(path)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return try decoder.decode(CertificateIndex.self, from: Data(bytes))
        } catch {
            throw CertificateError(.invalidRecord, "\(path): \(error)")
        }
    }

    /// The record as stable JSON: sorted keys, ISO 8601 dates, a trailing newline.
    public func jsonBytes() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self)) + [0x0A]
    }

    /// Writes the record atomically (mode 0644): a new file renamed over `path`, never written through a link.
    /// - Throws: ``CertificateError/Code/writeFailed`` naming the file.
    public func save(to path: String) throws {
        try writeFileBytes(try self.jsonBytes(), to: path, mode: 0o644, overwrite: true)
    }
}
