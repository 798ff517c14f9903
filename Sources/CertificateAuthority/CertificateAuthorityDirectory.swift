public import Foundation
public import GatehouseCertificates

/// A CA kept in a directory: `ca.crt` (the CA certificate), `ca.key` (its key, mode 0600), optionally
/// `chain.crt` (the certificates above it, for an intermediate CA) and `index.json` (the
/// ``CertificateIndex`` of what it issued and revoked).
///
/// `gatehouse certs init` writes such a directory (it is also the development PKI that `serve` uses), and
/// `gatehouse certs issue --intermediate` writes one for the new intermediate CA.
///
/// ```swift
/// let folder = try CertificateAuthorityDirectory.load(".gatehouse/pki")
/// let issued = try folder.authority.issue(CertificateSpec(subject: [.commonName("svc")], kind: .client))
/// try folder.recordIssued(issued.certificate, kind: "client")
/// ```
public struct CertificateAuthorityDirectory: Sendable {
    /// The directory.
    public let path: String
    /// The CA certificate and key.
    public let authority: CertificateAuthority
    /// The CA's own issuers (from `chain.crt`), nearest first; empty for a root.
    public let chain: [Certificate]

    /// `ca.crt`, `ca.key`, `chain.crt`, `index.json`.
    public static let certificateFileName = "ca.crt"
    /// The CA's private key file name.
    public static let keyFileName = "ca.key"
    /// The optional file of the CA's issuers.
    public static let chainFileName = "chain.crt"
    /// The record of issued and revoked certificates.
    public static let indexFileName = "index.json"

    /// `DIR/ca.crt`.
    public var certificateFile: String { join(self.path, Self.certificateFileName) }
    /// `DIR/ca.key`.
    public var keyFile: String { join(self.path, Self.keyFileName) }
    /// `DIR/chain.crt`.
    public var chainFile: String { join(self.path, Self.chainFileName) }
    /// `DIR/index.json`.
    public var indexFile: String { join(self.path, Self.indexFileName) }

    /// Loads the CA in `path`.
    /// - Throws: ``CertificateError`` naming the file at fault: a missing or unreadable `ca.crt` / `ca.key`,
    ///   ``CertificateError/Code/notCertificateAuthority`` when `ca.crt` is not a CA,
    ///   ``CertificateError/Code/keyMismatch`` when `ca.key` is not its key.
    public static func load(_ path: String) throws -> CertificateAuthorityDirectory {
        let certificateFile = join(path, certificateFileName)
        let keyFile = join(path, keyFileName)
        guard FileManager.default.fileExists(atPath: certificateFile) else {
            throw CertificateError(.unreadableFile, "\(certificateFile): no such file (is \(path) a CA directory?)")
        }
        guard FileManager.default.fileExists(atPath: keyFile) else {
            throw CertificateError(.unreadableFile, "\(keyFile): no such file (the CA's private key is needed)")
        }
        let certificate = try Certificate.loadChain(pemFile: certificateFile)[0]
        guard certificate.isCertificateAuthority else {
            throw CertificateError(
                .notCertificateAuthority,
                "\(certificateFile): \(certificate.subject) is not a CA (basicConstraints CA:TRUE)"
            )
        }
        let key = try PrivateKey(pemFile: keyFile)
        guard key.matches(certificate) else {
            throw CertificateError(.keyMismatch, "\(keyFile): the key does not belong to \(certificateFile)")
        }
        let chainFile = join(path, chainFileName)
        let hasChain = FileManager.default.fileExists(atPath: chainFile)
        let chain = hasChain ? try Certificate.loadChain(pemFile: chainFile) : []
        let authority = try CertificateAuthority(certificate: certificate, key: key)
        return CertificateAuthorityDirectory(path: path, authority: authority, chain: chain)
    }

    /// Writes a CA into a new directory (mode 0700): `ca.crt`, `ca.key` (0600), `chain.crt` when `chain` is
    /// not empty, and an empty `index.json`.
    /// Files are never written through a symbolic link (see `writeFileBytes`).
    /// - Parameter overwrite: replace existing files or links; otherwise any existing one is an error.
    /// - Throws: ``CertificateError/Code/fileExists`` naming the first existing file, or
    ///   ``CertificateError/Code/writeFailed``.
    @discardableResult
    public static func create(
        at path: String,
        authority: CertificateAuthority,
        chain: [Certificate],
        overwrite: Bool = false
    ) throws -> CertificateAuthorityDirectory {
        let folder = CertificateAuthorityDirectory(path: path, authority: authority, chain: chain)
        var files = [folder.certificateFile, folder.keyFile, folder.indexFile]
        if !chain.isEmpty { files.append(folder.chainFile) }
        if !overwrite { try refuseExisting(files) }
        try makePrivateDirectory(path)
        try writeFileBytes(authority.key.pemBytes(), to: folder.keyFile, mode: 0o600, overwrite: overwrite)
        try writeFileBytes(
            Array(authority.certificate.pemString.utf8),
            to: folder.certificateFile,
            mode: 0o644,
            overwrite: overwrite
        )
        if !chain.isEmpty {
            try writeFileBytes(Array(chain.pemString.utf8), to: folder.chainFile, mode: 0o644, overwrite: overwrite)
        }
        try CertificateIndex().save(to: folder.indexFile)
        return folder
    }

    /// The record of issued and revoked certificates (empty when `index.json` does not exist yet).
    /// - Throws: ``CertificateError/Code/invalidRecord`` naming the file.
    public func loadIndex() throws -> CertificateIndex { try CertificateIndex.load(file: self.indexFile) }

    /// Appends an issued certificate to `index.json`.
    public func recordIssued(_ certificate: Certificate, kind: String, at date: Date = Date()) throws {
        var index = try self.loadIndex()
        index.recordIssued(certificate, kind: kind, at: date)
        try index.save(to: self.indexFile)
    }

    /// Whether `certificate` was signed by this CA (its issuer name and signature).
    public func issued(_ certificate: Certificate) -> Bool {
        certificate.issuer == self.authority.certificate.subject
            && certificate.isSigned(by: self.authority.certificate)
    }
}

/// Creates `path` (and parents) with mode 0700 when missing.
package func makePrivateDirectory(_ path: String) throws {
    do {
        try FileManager.default.createDirectory(
            atPath: path,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700]
        )
    } catch {
        throw CertificateError(.writeFailed, "\(path): \(error)")
    }
}

private func join(_ directory: String, _ name: String) -> String {
    (directory as NSString).appendingPathComponent(name)
}
