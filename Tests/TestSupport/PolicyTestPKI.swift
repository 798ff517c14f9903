public import Certificates
import Foundation

/// Extra test material for client-certificate policies, minted once per process on top of ``TestPKI``.
///
/// - ``revokedClient`` (under the intermediate), listed by ``intermediateCRL``; ``rootCRL`` revokes nothing;
/// - ``sanClient``: DNS `client.example`, URI `spiffe://example.org/client`, email `client@example.org`,
///   IP `10.0.0.7`;
/// - ``copycatClient``: self-signed, copying ``TestPKI/client``'s subject;
/// - ``rogueCA``: a root whose subject copies the intermediate's name, and ``rogueClient`` from it (same
///   subject and issuer name as ``TestPKI/client``);
/// - ``allowListDirectory`` holding only the self-signed client; ``emptyDirectory``.
public final class PolicyTestPKI: Sendable {
    /// The base PKI.
    public let base: TestPKI
    /// A client whose serial is on ``intermediateCRL``.
    public let revokedClient: TestIdentity
    /// A client with one SAN of each kind.
    public let sanClient: TestIdentity
    /// Self-signed, subject `CN=client,O=Gatehouse Tests`.
    public let copycatClient: TestIdentity
    /// A root CA named like the intermediate.
    public let rogueCA: Certificate
    /// A client of ``rogueCA`` named like ``TestPKI/client``.
    public let rogueClient: TestIdentity
    /// The intermediate's CRL listing ``revokedClient``.
    public let intermediateCRL: CertificateRevocationList
    /// PEM file with ``intermediateCRL``.
    public let intermediateCRLFile: String
    /// The root's CRL, listing nothing.
    public let rootCRL: CertificateRevocationList
    /// PEM file with ``rootCRL``.
    public let rootCRLFile: String
    /// DER file with ``intermediateCRL``.
    public let intermediateCRLDERFile: String
    /// A directory with only `self-signed-client.crt`.
    public let allowListDirectory: String
    /// An empty directory.
    public let emptyDirectory: String

    /// The material for this test process, minted on first use.
    public static func shared() throws -> PolicyTestPKI { try sharedResult.get() }

    private static let sharedResult = Result<PolicyTestPKI, any Error> { try PolicyTestPKI(base: TestPKI.shared()) }

    private init(base: TestPKI) throws {
        self.base = base
        let directory = (base.directory as NSString).appendingPathComponent("policy")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let writer = TestPKIWriter(directory: directory, referenceTime: base.referenceTime)
        let intermediate = base.intermediateAuthority
        self.revokedClient = try writer.identity("revoked-client", issuer: intermediate,
                                                 spec: writer.spec("revoked-client", .client))
        let sans: [SubjectAlternativeName] = [
            .dnsName("client.example"), .uri("spiffe://example.org/client"), .email("client@example.org"),
            .ipAddress("10.0.0.7"),
        ]
        self.sanClient = try writer.identity("san-client", issuer: intermediate,
                                             spec: writer.spec("san-client", .client, sans: sans))
        self.copycatClient = try writer.identity("copycat-client", issuer: nil, spec: writer.spec("client", .client))
        let rogue = try CertificateAuthority.createRoot(
            writer.spec("Gatehouse Test Intermediate CA", .rootCA, validity: .long))
        self.rogueCA = rogue.certificate
        self.rogueClient = try writer.identity("rogue-client", issuer: rogue, spec: writer.spec("client", .client))
        let day: TimeInterval = 86_400
        let (from, until) = (base.referenceTime.addingTimeInterval(-day), base.referenceTime.addingTimeInterval(30 * day))
        self.intermediateCRL = try intermediate.issueCRL(revoking: [self.revokedClient.certificate], lastUpdate: from,
                                                         nextUpdate: until)
        self.rootCRL = try base.rootAuthority.issueCRL(revoking: [], lastUpdate: from, nextUpdate: until)
        self.intermediateCRLFile = try writer.write(Array(self.intermediateCRL.pemString.utf8), name: "intermediate.crl")
        self.rootCRLFile = try writer.write(Array(self.rootCRL.pemString.utf8), name: "root.crl")
        self.intermediateCRLDERFile = try writer.write(try derBytes(of: self.intermediateCRLFile),
                                                       name: "intermediate-der.crl")
        self.allowListDirectory = (directory as NSString).appendingPathComponent("allow-list")
        self.emptyDirectory = (directory as NSString).appendingPathComponent("empty")
        try FileManager.default.createDirectory(atPath: self.allowListDirectory, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: self.emptyDirectory, withIntermediateDirectories: true)
        _ = try TestPKIWriter(directory: self.allowListDirectory, referenceTime: base.referenceTime)
            .writeCertificates([base.selfSignedClient.certificate], name: "self-signed-client.crt")
    }
}

/// The DER bytes of the single PEM block in `file` (base64 between the armor lines).
private func derBytes(of file: String) throws -> [UInt8] {
    let text = try String(contentsOfFile: file, encoding: .utf8)
    let body = text.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
    guard let data = Data(base64Encoded: body) else { throw CertificateError(.invalidPEM, file) }
    return [UInt8](data)
}
