import Foundation
import GatehouseCertificateAuthority
import GatehouseCertificates

/// A configuration folder with certificates minted for `gatehouse check`, each with the dates and SANs a test needs:
/// `pki/ca.crt` (a root valid for ten years), `pki/server.crt`/`.key` (a year, for localhost, 127.0.0.1 and ::1),
/// `pki/clients/client-a.crt` (an allow-listed client) and `pki/ca.crl` (a fresh CRL of the root).
struct CheckFolder {
    static let day: TimeInterval = 86_400

    let path: String
    let now: Date
    let root: CertificateAuthority
    let server: Certificate
    let client: Certificate

    init() throws {
        self.path = try temporaryDirectory()
        self.now = Date()
        try FileManager.default.createDirectory(atPath: self.path + "/pki/clients", withIntermediateDirectories: true)
        let root = try CertificateAuthority.createRoot(Self.spec("Check Root CA", .rootCA, days: 3650, now: self.now))
        let sans: [SubjectAlternativeName] = [.dnsName("localhost"), .ipAddress("127.0.0.1"), .ipAddress("::1")]
        let server = try root.issue(Self.spec("server", .server, sans: sans, days: 365, now: self.now))
        let client = try root.issue(Self.spec("client-a", .client, days: 365, now: self.now))
        self.root = root
        self.server = server.certificate
        self.client = client.certificate
        try self.write([root.certificate], to: "pki/ca.crt")
        try self.write(server, as: "server")
        try self.write([client.certificate], to: "pki/clients/client-a.crt")
        try self.writeCRL(of: root, to: "pki/ca.crl", nextUpdateInDays: 7)
    }

    /// A spec for `commonName` valid from 400 days ago until `days` days and an hour from now (so whole days left come
    /// out as `days`), or, with a negative `days`, until that many days ago.
    func spec(
        _ commonName: String,
        _ kind: CertificateSpec.Kind,
        sans: [SubjectAlternativeName] = [],
        days: Int
    ) -> CertificateSpec {
        Self.spec(commonName, kind, sans: sans, days: days, now: self.now)
    }

    static func spec(
        _ commonName: String,
        _ kind: CertificateSpec.Kind,
        sans: [SubjectAlternativeName] = [],
        days: Int,
        now: Date
    ) -> CertificateSpec {
        let end =
            days > 0
            ? now.addingTimeInterval(Double(days) * Self.day + 3600)
            : now.addingTimeInterval(Double(days) * Self.day)
        return CertificateSpec(
            subject: [.organization("Check Tests"), .commonName(commonName)],
            kind: kind,
            sans: sans,
            notBefore: min(now, end).addingTimeInterval(-400 * Self.day),
            notAfter: end
        )
    }

    /// Issues a server certificate from the root and writes `pki/NAME.crt` and `pki/NAME.key`.
    @discardableResult
    func issueServer(_ name: String, sans: [SubjectAlternativeName], days: Int) throws -> Certificate {
        let issued = try self.root.issue(self.spec(name, .server, sans: sans, days: days))
        try self.write(issued, as: name)
        return issued.certificate
    }

    /// Writes `pki/NAME.crt` and `pki/NAME.key`.
    func write(_ issued: IssuedCertificate, as name: String) throws {
        try self.write([issued.certificate], to: "pki/\(name).crt")
        try Data(issued.key.pemBytes()).write(to: URL(fileURLWithPath: self.path + "/pki/\(name).key"))
    }

    /// Writes a CRL of `authority` (revoking nothing), issued 10 days ago, next update in `nextUpdateInDays`.
    func writeCRL(of authority: CertificateAuthority, to name: String, nextUpdateInDays: Int) throws {
        let crl = try authority.issueCRL(
            revoking: [],
            lastUpdate: self.now.addingTimeInterval(-10 * Self.day),
            nextUpdate: self.now.addingTimeInterval(Double(nextUpdateInDays) * Self.day)
        )
        try crl.pemString.write(toFile: self.path + "/" + name, atomically: true, encoding: .utf8)
    }

    func write(_ certificates: [Certificate], to name: String) throws {
        try certificates.pemString.write(toFile: self.path + "/" + name, atomically: true, encoding: .utf8)
    }

    /// Writes `gatehouse.yaml` and returns its path.
    @discardableResult
    func write(_ yaml: String) throws -> String {
        let file = self.path + "/gatehouse.yaml"
        try yaml.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    /// A configuration that `check` passes without a warning: one listener on `host:port` presenting
    /// `certificate`, a policy trusting the root with the allow-list and the CRL, a guarded and an open route.
    static func yaml(host: String = "127.0.0.1", port: Int = 8443, certificate: String = "server") -> String {
        """
        listeners:
          - name: public
            host: "\(host)"
            port: \(port)
            tls: { certificate: pki/\(certificate).crt, privateKey: pki/\(certificate).key }
        policies:
          partners:
            trustedCAs: [pki/ca.crt]
            certificates: [pki/clients/]
            crls: [pki/ca.crl]
            validateRevocation: true
        routes:
          - { path: /api/hello, function: hello, policy: partners }
          - { path: /healthz, function: health }
        """
    }
}
