import Foundation
public import GatehouseCertificates

extension IssuedCertificate {
    /// The files ``write(prefix:chain:pfxPassword:pfxCompatibility:overwrite:)`` writes for `prefix`: `PREFIX.crt`, `PREFIX.key`
    /// and, with a password, `PREFIX.pfx`.
    public static func fileNames(prefix: String, withPFX: Bool) -> [String] {
        [prefix + ".crt", prefix + ".key"] + (withPFX ? [prefix + ".pfx"] : [])
    }

    /// Writes the certificate (PEM), its key (PKCS#8 PEM, mode 0600) and, when `pfxPassword` is set, a PKCS#12
    /// file (mode 0600) holding the certificate, key and `chain` with `pfxCompatibility`'s algorithms.
    ///
    /// Nothing is written when any target file (or symbolic link) exists and `overwrite` is false; with `overwrite`
    /// each file is replaced by renaming a new file over it. Files are never written through a symbolic link.
    /// - Parameters:
    ///   - prefix: the path without extension; its directory must exist.
    ///   - chain: CA certificates to put into the PFX after the leaf (nearest issuer first).
    /// - Returns: the paths written.
    /// - Throws: ``CertificateError/Code/fileExists`` or ``CertificateError/Code/writeFailed`` naming the file.
    @discardableResult
    public func write(
        prefix: String,
        chain: [Certificate] = [],
        pfxPassword: String? = nil,
        pfxCompatibility: PKCS12Compatibility = .modern,
        overwrite: Bool = false
    ) throws -> [String] {
        let files = Self.fileNames(prefix: prefix, withPFX: pfxPassword != nil)
        if !overwrite { try refuseExisting(files) }
        let pfx = try pfxPassword.map {
            try PKCS12Bundle.encode(
                certificate: self.certificate,
                key: self.key,
                chain: chain,
                password: $0,
                friendlyName: self.certificate.commonName,
                compatibility: pfxCompatibility
            )
        }
        try writeFileBytes(Array(self.certificate.pemString.utf8), to: files[0], mode: 0o644, overwrite: overwrite)
        try writeFileBytes(self.key.pemBytes(), to: files[1], mode: 0o600, overwrite: overwrite)
        if let pfx { try writeFileBytes(pfx, to: files[2], mode: 0o600, overwrite: overwrite) }
        return files
    }
}
