public import Foundation
public import GatehouseCertificates

/// A development CA with a server and a client certificate, kept in one directory.
///
/// Files: `ca.crt ca.key server.crt server.key client.crt client.key client.pfx`, and `client.pfx.password`
/// when the PFX password was generated. Keys and the password file are mode 0600, the directory 0700.
/// The server certificate is for `localhost`, `127.0.0.1` and `::1` (plus any extra names asked for).
/// Creating also writes `index.json`, so the directory is a ``CertificateAuthorityDirectory`` that
/// `certs issue` and `certs revoke` can use.
///
/// ```swift
/// let pki = try DevelopmentPKI.loadOrCreate(in: ".gatehouse/pki")
/// print(pki.clientCertificate.subject, pki.clientCertificate.sha1.hexString)
/// ```
public struct DevelopmentPKI: Sendable {
    /// The directory holding the files.
    public let directory: String
    /// The CA certificate.
    public let caCertificate: Certificate
    /// The server certificate.
    public let serverCertificate: Certificate
    /// The client certificate.
    public let clientCertificate: Certificate
    /// The client PFX's password.
    public let pfxPassword: String
    /// Whether the files were created by this call (false when they were loaded).
    public let wasCreated: Bool

    /// `ca.crt`.
    public var caCertificateFile: String { self.path("ca.crt") }
    /// `ca.key`.
    public var caKeyFile: String { self.path("ca.key") }
    /// `server.crt`.
    public var serverCertificateFile: String { self.path("server.crt") }
    /// `server.key`.
    public var serverKeyFile: String { self.path("server.key") }
    /// `client.crt`.
    public var clientCertificateFile: String { self.path("client.crt") }
    /// `client.key`.
    public var clientKeyFile: String { self.path("client.key") }
    /// `client.pfx`.
    public var clientPFXFile: String { self.path("client.pfx") }
    /// `client.pfx.password` (present when the password was generated).
    public var clientPFXPasswordFile: String { self.path("client.pfx.password") }

    /// The file names this type writes.
    public static let fileNames = [
        "ca.crt", "ca.key", "server.crt", "server.key", "client.crt", "client.key",
        "client.pfx",
    ]

    /// Loads the PKI in `directory`, or creates it when any file is missing (or `force` is set).
    ///
    /// Cost: key generation and file I/O; call at startup, not on an event loop.
    /// - Parameters:
    ///   - directory: created with mode 0700 when missing.
    ///   - clientName: the client certificate's common name.
    ///   - pfxPassword: the PFX password; when `nil`, a random one is generated (or read back from
    ///     `client.pfx.password`).
    ///   - pfxCompatibility: the algorithms of `client.pfx`.
    ///   - keyType: the key type for all three keys.
    ///   - serverSANs: subjectAlternativeNames for the server certificate besides the three defaults.
    ///   - force: regenerate and overwrite even when all files exist.
    ///   - now: the start of every validity period.
    /// - Throws: ``CertificateError`` naming the file that could not be read or written.
    public static func loadOrCreate(
        in directory: String,
        clientName: String = "client",
        pfxPassword: String? = nil,
        pfxCompatibility: PKCS12Compatibility = .modern,
        keyType: KeyType = .ecdsaP256,
        serverSANs: [SubjectAlternativeName] = [],
        force: Bool = false,
        now: Date = Date()
    ) throws -> DevelopmentPKI {
        let allExist = fileNames.allSatisfy { FileManager.default.fileExists(atPath: join(directory, $0)) }
        let passwordFile = join(directory, "client.pfx.password")
        if allExist && !force && (pfxPassword != nil || FileManager.default.fileExists(atPath: passwordFile)) {
            return try load(directory, pfxPassword: pfxPassword)
        }
        let options = CreateOptions(
            clientName: clientName,
            pfxPassword: pfxPassword,
            pfxCompatibility: pfxCompatibility,
            keyType: keyType,
            serverSANs: serverSANs,
            now: now
        )
        return try create(directory, options)
    }

    /// The files of a development PKI that already exist in `directory` (including `client.pfx.password` and
    /// `index.json`), in ``fileNames`` order, symbolic links included; `certs init` refuses to replace any of them
    /// without `--force`.
    public static func existingFiles(in directory: String) -> [String] {
        (fileNames + ["client.pfx.password", CertificateAuthorityDirectory.indexFileName])
            .map { join(directory, $0) }
            .filter(entryExists)
    }

    private func path(_ name: String) -> String { join(self.directory, name) }
}

extension DevelopmentPKI {
    private static func load(_ directory: String, pfxPassword: String?) throws -> DevelopmentPKI {
        let password = try pfxPassword ?? readPassword(join(directory, "client.pfx.password"))
        let ca = try Certificate.loadChain(pemFile: join(directory, "ca.crt"))[0]
        let server = try Certificate.loadChain(pemFile: join(directory, "server.crt"))[0]
        let client = try Certificate.loadChain(pemFile: join(directory, "client.crt"))[0]
        return DevelopmentPKI(
            directory: directory,
            caCertificate: ca,
            serverCertificate: server,
            clientCertificate: client,
            pfxPassword: password,
            wasCreated: false
        )
    }

    private struct CreateOptions {
        var clientName: String
        var pfxPassword: String?
        var pfxCompatibility: PKCS12Compatibility
        var keyType: KeyType
        var serverSANs: [SubjectAlternativeName]
        var now: Date
    }

    private static func create(_ directory: String, _ options: CreateOptions) throws -> DevelopmentPKI {
        let (clientName, pfxPassword, keyType, now) =
            (options.clientName, options.pfxPassword, options.keyType, options.now)
        try makeDirectory(directory)
        var serverSANs: [SubjectAlternativeName] = [.dnsName("localhost"), .ipAddress("127.0.0.1"), .ipAddress("::1")]
        for name in options.serverSANs where !serverSANs.contains(name) { serverSANs.append(name) }
        let year: TimeInterval = 365 * 86_400
        let organization = NameAttribute.organization("Gatehouse Development")
        let ca = try CertificateAuthority.createRoot(
            CertificateSpec(
                subject: [organization, .commonName("Gatehouse Development CA")],
                kind: .rootCA,
                notBefore: now,
                notAfter: now.addingTimeInterval(10 * year),
                keyType: keyType
            )
        )
        let server = try ca.issue(
            CertificateSpec(
                subject: [organization, .commonName("localhost")],
                kind: .server,
                sans: serverSANs,
                notBefore: now,
                notAfter: now.addingTimeInterval(year),
                keyType: keyType
            )
        )
        let client = try ca.issue(
            CertificateSpec(
                subject: [organization, .commonName(clientName)],
                kind: .client,
                notBefore: now,
                notAfter: now.addingTimeInterval(year),
                keyType: keyType
            )
        )
        let password = pfxPassword ?? randomPassword()
        let pfx = try PKCS12Bundle.encode(
            certificate: client.certificate,
            key: client.key,
            chain: [ca.certificate],
            password: password,
            friendlyName: clientName,
            compatibility: options.pfxCompatibility
        )

        // Each file is a new one renamed over whatever is there (an incomplete PKI is made again), never written
        // through a symbolic link; `certs init` refuses existing files before calling this, unless --force.
        let file = { (name: String) in join(directory, name) }
        let write = { (bytes: [UInt8], name: String, mode: mode_t) in
            try writeFileBytes(bytes, to: file(name), mode: mode, overwrite: true)
        }
        try write(Array(ca.certificate.pemString.utf8), "ca.crt", 0o644)
        try write(ca.key.pemBytes(), "ca.key", 0o600)
        try write(Array(server.certificate.pemString.utf8), "server.crt", 0o644)
        try write(server.key.pemBytes(), "server.key", 0o600)
        try write(Array(client.certificate.pemString.utf8), "client.crt", 0o644)
        try write(client.key.pemBytes(), "client.key", 0o600)
        try write(pfx, "client.pfx", 0o600)
        if pfxPassword == nil {
            try write(Array((password + "\n").utf8), "client.pfx.password", 0o600)
        } else if entryExists(file("client.pfx.password")) {
            // A stale generated password would no longer open the new PFX (only reached when replacing).
            unlink(file("client.pfx.password"))
        }
        var index = CertificateIndex()
        index.recordIssued(server.certificate, kind: "server", at: now)
        index.recordIssued(client.certificate, kind: "client", at: now)
        try index.save(to: file(CertificateAuthorityDirectory.indexFileName))
        return DevelopmentPKI(
            directory: directory,
            caCertificate: ca.certificate,
            serverCertificate: server.certificate,
            clientCertificate: client.certificate,
            pfxPassword: password,
            wasCreated: true
        )
    }

    private static func makeDirectory(_ directory: String) throws {
        do {
            try FileManager.default.createDirectory(
                atPath: directory,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
        } catch {
            throw CertificateError(.writeFailed, "\(directory): \(error)")
        }
    }

    private static func readPassword(_ path: String) throws -> String {
        let text = String(decoding: try readFileBytes(path), as: UTF8.self)
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// 24 random bytes as URL-safe base64 (32 characters).
    private static func randomPassword() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<24).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
    }
}

private func join(_ directory: String, _ name: String) -> String {
    (directory as NSString).appendingPathComponent(name)
}
