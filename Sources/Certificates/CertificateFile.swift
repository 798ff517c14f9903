import Foundation

/// Reads the certificates of a file whatever its format: PEM (one or many), DER, or PKCS#12.
public enum CertificateFile {
    /// The format a file was read as.
    public enum Format: String, Sendable, Hashable, Codable {
        /// PEM text with one or more `CERTIFICATE` blocks.
        case pem = "PEM"
        /// One DER-encoded certificate.
        case der = "DER"
        /// PKCS#12 (`.pfx`, `.p12`): the leaf first, then the rest of the chain in the file.
        case pkcs12 = "PKCS#12"
    }

    /// Reads every certificate in `path`.
    ///
    /// Binary data is tried as a DER certificate first, then as PKCS#12 with `password`; without a password,
    /// the empty password is tried and then the contents of `PATH.password` when that file exists (as
    /// `certs init` writes next to `client.pfx`).
    /// - Throws: ``CertificateError`` naming the file; ``CertificateError/Code/wrongPassword`` when a PKCS#12
    ///   file does not open.
    public static func read(_ path: String, password: String? = nil) throws -> (
        format: Format, certificates: [Certificate]
    ) {
        let bytes = try readFileBytes(path)
        guard bytes.first == 0x30 else { return (.pem, try Certificate.parsePEM(bytes, source: path)) }
        if let certificate = try? Certificate(derBytes: bytes) { return (.der, [certificate]) }
        let candidates = password.map { [$0] } ?? ["", try? storedPassword(path + ".password")].compactMap { $0 }
        var lastError = CertificateError(.invalidPKCS12, "\(path): neither a DER certificate nor PKCS#12")
        for candidate in candidates {
            do {
                let bundle = try PKCS12Bundle.parse(bytes, password: candidate, source: path)
                return (.pkcs12, [bundle.certificate] + bundle.chain)
            } catch let error as CertificateError {
                lastError = error
                if error.code != .wrongPassword { break }
            }
        }
        if lastError.code == .wrongPassword && password == nil {
            throw CertificateError(.wrongPassword, "\(path): a PKCS#12 file that needs a password")
        }
        throw lastError
    }
}

private func storedPassword(_ path: String) throws -> String? {
    guard FileManager.default.fileExists(atPath: path) else { return nil }
    return String(decoding: try readFileBytes(path), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}
