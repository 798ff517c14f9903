import COpenSSL
import Foundation
import GatehouseCertificateAuthority
public import GatehouseCertificates

/// Extra test material for client-certificate policies, minted once per process on top of ``TestPKI``.
///
/// - ``revokedClient`` (under the intermediate), listed by ``intermediateCRL``; ``rootCRL`` revokes nothing;
/// - ``sanClient``: DNS `client.example`, URI `spiffe://example.org/client`, email `client@example.org`,
///   IP `10.0.0.7`;
/// - ``copycatClient``: self-signed, copying ``TestPKI/client``'s subject;
/// - ``rogueCA``: a root whose subject copies the intermediate's name, and ``rogueClient`` from it (same
///   subject and issuer name as ``TestPKI/client``);
/// - ``allowListDirectory`` holding only the self-signed client; ``emptyDirectory``;
/// - attack material (``AttackCertificateMinter``): ``rootImpostorClient`` (its chain carries a self-made root
///   that copies the trusted root's subject and key identifier), ``serverAuthIntermediateClient`` (under an
///   intermediate whose EKU is serverAuth only), ``malformedEKUClient`` (an EKU extension that is not DER), and
///   ``junkChainFile(junk:)`` (the client leaf followed by junk certificates).
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
    /// A client of a self-made root that copies ``TestPKI/rootCA``'s subject and subjectKeyIdentifier; its
    /// ``TestIdentity/chain`` (and chain file) carries that rogue root after the leaf.
    public let rootImpostorClient: TestIdentity
    /// A client (clientAuth) under an intermediate of the root whose extendedKeyUsage is serverAuth only.
    public let serverAuthIntermediateClient: TestIdentity
    /// A client under the intermediate whose extendedKeyUsage extension is not valid DER.
    public let malformedEKUClient: TestIdentity
    private let directory: String

    /// The material for this test process, minted on first use.
    public static func shared() throws -> PolicyTestPKI { try sharedResult.get() }

    private static let sharedResult = Result<PolicyTestPKI, any Error> { try PolicyTestPKI(base: TestPKI.shared()) }

    private init(base: TestPKI) throws {
        self.base = base
        let directory = (base.directory as NSString).appendingPathComponent("policy")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let writer = TestPKIWriter(directory: directory, referenceTime: base.referenceTime)
        let intermediate = base.intermediateAuthority
        self.revokedClient = try writer.identity(
            "revoked-client",
            issuer: intermediate,
            spec: writer.spec("revoked-client", .client)
        )
        let sans: [SubjectAlternativeName] = [
            .dnsName("client.example"), .uri("spiffe://example.org/client"), .email("client@example.org"),
            .ipAddress("10.0.0.7"),
        ]
        self.sanClient = try writer.identity(
            "san-client",
            issuer: intermediate,
            spec: writer.spec("san-client", .client, sans: sans)
        )
        self.copycatClient = try writer.identity("copycat-client", issuer: nil, spec: writer.spec("client", .client))
        let rogue = try CertificateAuthority.createRoot(
            writer.spec("Gatehouse Test Intermediate CA", .rootCA, validity: .long)
        )
        self.rogueCA = rogue.certificate
        self.rogueClient = try writer.identity("rogue-client", issuer: rogue, spec: writer.spec("client", .client))
        let day: TimeInterval = 86_400
        let (from, until) = (
            base.referenceTime.addingTimeInterval(-day), base.referenceTime.addingTimeInterval(30 * day)
        )
        self.intermediateCRL = try intermediate.issueCRL(
            revoking: [self.revokedClient.certificate],
            lastUpdate: from,
            nextUpdate: until
        )
        self.rootCRL = try base.rootAuthority.issueCRL(revoking: [], lastUpdate: from, nextUpdate: until)
        self.intermediateCRLFile = try writer.write(
            Array(self.intermediateCRL.pemString.utf8),
            name: "intermediate.crl"
        )
        self.rootCRLFile = try writer.write(Array(self.rootCRL.pemString.utf8), name: "root.crl")
        self.intermediateCRLDERFile = try writer.write(
            try derBytes(of: self.intermediateCRLFile),
            name: "intermediate-der.crl"
        )
        self.allowListDirectory = (directory as NSString).appendingPathComponent("allow-list")
        self.emptyDirectory = (directory as NSString).appendingPathComponent("empty")
        try FileManager.default.createDirectory(atPath: self.allowListDirectory, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: self.emptyDirectory, withIntermediateDirectories: true)
        _ = try TestPKIWriter(directory: self.allowListDirectory, referenceTime: base.referenceTime)
            .writeCertificates([base.selfSignedClient.certificate], name: "self-signed-client.crt")
        self.directory = directory
        self.rootImpostorClient = try mintRootImpostorClient(base: base, writer: writer)
        self.serverAuthIntermediateClient = try mintServerAuthIntermediateClient(base: base, writer: writer)
        self.malformedEKUClient = try mintMalformedEKUClient(base: base, writer: writer)
    }

    /// A PEM file with ``TestPKI/client``'s leaf (without its intermediate, so the chain does not verify)
    /// followed by `junk` distinct self-signed certificates of about 400 bytes each; the key is the client's.
    public func junkChainFile(junk: Int) throws -> String {
        let key = try PrivateKey.generate()
        let certificates = try (0..<junk).map { index in
            try AttackCertificateMinter.mint(commonName: "junk \(index)", key: key, issuer: nil, extensions: [])
        }
        let writer = TestPKIWriter(directory: self.directory, referenceTime: self.base.referenceTime)
        return try writer.writeCertificates(
            [self.base.client.certificate] + certificates,
            name: "junk-chain-\(junk)-\(UUID().uuidString).pem"
        )
    }
}

private let clientExtensions: [AttackCertificateMinter.Extension] = [
    .config(NID_basic_constraints, "critical,CA:FALSE"), .config(NID_key_usage, "critical,digitalSignature"),
    .config(NID_subject_key_identifier, "hash"), .config(NID_authority_key_identifier, "keyid:always"),
]

/// A self-made root with the trusted root's subject and key identifier, and a clientAuth leaf from it; the chain
/// is the leaf and that root.
private func mintRootImpostorClient(base: TestPKI, writer: TestPKIWriter) throws -> TestIdentity {
    let rootKey = try PrivateKey.generate()
    let identifier = AttackCertificateMinter.subjectKeyIdentifier(of: base.rootCA) ?? "hash"
    let rogueRoot = try AttackCertificateMinter.mint(
        subjectOf: base.rootCA,
        key: rootKey,
        issuer: nil,
        extensions: [
            .config(NID_basic_constraints, "critical,CA:TRUE"),
            .config(NID_key_usage, "critical,keyCertSign,cRLSign"),
            .config(NID_subject_key_identifier, identifier),
        ]
    )
    let key = try PrivateKey.generate()
    let leaf = try AttackCertificateMinter.mint(
        subjectOf: base.client.certificate,
        key: key,
        issuer: (rogueRoot, rootKey),
        extensions: clientExtensions + [.config(NID_ext_key_usage, "clientAuth")]
    )
    return try attackIdentity("root-impostor-client", leaf: leaf, key: key, chain: [leaf, rogueRoot], writer: writer)
}

/// An intermediate of the root limited to serverAuth, and a clientAuth leaf under it.
private func mintServerAuthIntermediateClient(base: TestPKI, writer: TestPKIWriter) throws -> TestIdentity {
    let intermediateKey = try PrivateKey.generate()
    let intermediate = try AttackCertificateMinter.mint(
        commonName: "Server-only Intermediate CA",
        key: intermediateKey,
        issuer: (base.rootCA, base.rootAuthority.key),
        extensions: [
            .config(NID_basic_constraints, "critical,CA:TRUE,pathlen:0"),
            .config(NID_key_usage, "critical,keyCertSign,cRLSign"),
            .config(NID_ext_key_usage, "serverAuth"),
            .config(NID_subject_key_identifier, "hash"),
            .config(NID_authority_key_identifier, "keyid:always"),
        ]
    )
    let key = try PrivateKey.generate()
    let leaf = try AttackCertificateMinter.mint(
        commonName: "server-only-intermediate-client",
        key: key,
        issuer: (intermediate, intermediateKey),
        extensions: clientExtensions + [.config(NID_ext_key_usage, "clientAuth")]
    )
    return try attackIdentity(
        "server-auth-intermediate-client",
        leaf: leaf,
        key: key,
        chain: [leaf, intermediate],
        writer: writer
    )
}

/// A leaf under the intermediate whose extendedKeyUsage value is a truncated SEQUENCE.
private func mintMalformedEKUClient(base: TestPKI, writer: TestPKIWriter) throws -> TestIdentity {
    let key = try PrivateKey.generate()
    let leaf = try AttackCertificateMinter.mint(
        commonName: "malformed-eku-client",
        key: key,
        issuer: (base.intermediateCA, base.intermediateAuthority.key),
        extensions: clientExtensions + [.raw(NID_ext_key_usage, critical: false, der: [0x30, 0x0A, 0x06, 0x08, 0x2B])]
    )
    return try attackIdentity(
        "malformed-eku-client",
        leaf: leaf,
        key: key,
        chain: [leaf, base.intermediateCA],
        writer: writer
    )
}

private func attackIdentity(
    _ name: String,
    leaf: Certificate,
    key: PrivateKey,
    chain: [Certificate],
    writer: TestPKIWriter
) throws -> TestIdentity {
    TestIdentity(
        name: name,
        certificate: leaf,
        key: key,
        chain: chain,
        certificateFile: try writer.writeCertificates([leaf], name: "\(name).crt"),
        keyFile: try writer.write(key.pemBytes(), name: "\(name).key"),
        chainFile: try writer.writeCertificates(chain, name: "\(name)-chain.pem")
    )
}

/// The DER bytes of the single PEM block in `file` (base64 between the armor lines).
private func derBytes(of file: String) throws -> [UInt8] {
    let text = try String(contentsOfFile: file, encoding: .utf8)
    let body = text.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
    guard let data = Data(base64Encoded: body) else { throw CertificateError(.invalidPEM, file) }
    return [UInt8](data)
}
