public import Foundation
public import GatehouseCertificateAuthority
public import GatehouseCertificates
import Synchronization

/// One test certificate with its key, in memory and on disk.
public struct TestIdentity: Sendable {
    /// A short name, also the files' base name (`client`, `stranger-client`, …).
    public let name: String
    /// The leaf certificate.
    public let certificate: Certificate
    /// The leaf's private key.
    public let key: PrivateKey
    /// The leaf followed by the intermediates a peer should send (never the root).
    public let chain: [Certificate]
    /// PEM file with the leaf only.
    public let certificateFile: String
    /// PEM (PKCS#8) file with the private key.
    public let keyFile: String
    /// PEM file with ``chain``: what a TLS identity's `certificateChainFile` should point at.
    public let chainFile: String

    /// An identity of your own (for ``TestClientCertificate/identity(_:)``); the files must already exist.
    public init(
        name: String,
        certificate: Certificate,
        key: PrivateKey,
        chain: [Certificate],
        certificateFile: String,
        keyFile: String,
        chainFile: String
    ) {
        self.name = name
        self.certificate = certificate
        self.key = key
        self.chain = chain
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.chainFile = chainFile
    }
}

/// A throwaway PKI for tests, minted once per test process with OpenSSL's API into a temporary directory.
///
/// It holds what an end-to-end test of a mutual-TLS service needs: a CA to trust, a server certificate for the
/// loopback addresses, good clients, and clients that must be refused. ``client(named:)`` mints more good clients.
///
/// Layout (all keys ECDSA P-256, sha256 signatures):
/// - ``rootCA`` (self-signed) → ``intermediateCA`` → ``server`` (`localhost`, `127.0.0.1`, `::1`), ``client``,
///   ``expiredClient``, ``notYetValidClient``, ``serverEKUClient``;
/// - ``rootCA`` → ``rootClient`` (no intermediate);
/// - ``strangerCA`` (another root) → ``strangerClient``;
/// - ``selfSignedClient`` (its own issuer, clientAuth EKU).
///
/// Validity is relative to ``referenceTime`` (the minting time rounded down to the minute): valid certificates
/// run from a day before to 30 days after it; the expired one ended 30 days before; the not-yet-valid one
/// starts 30 days after. Verify with `at: referenceTime` for deterministic results.
///
/// ```swift
/// let pki = try TestPKI.shared()
/// let store = TrustStore(certificates: [pki.rootCA])
/// #expect(store.verify(chain: pki.client.chain).isOK)
/// ```
public final class TestPKI: Sendable {
    /// Which test client to present; see the properties of the same names.
    public enum Client: String, Sendable, CaseIterable {
        case client, rootClient, strangerClient, expiredClient, notYetValidClient, serverEKUClient, selfSignedClient
    }

    /// The directory holding every file (unique per process).
    public let directory: String
    /// The instant validity periods are relative to.
    public let referenceTime: Date
    /// The root CA; trust this.
    public let rootCA: Certificate
    /// PEM file with ``rootCA``.
    public let rootCAFile: String
    /// The intermediate CA (pathlen 0) under ``rootCA``.
    public let intermediateCA: Certificate
    /// PEM file with ``intermediateCA``.
    public let intermediateCAFile: String
    /// An unrelated root CA; do not trust it.
    public let strangerCA: Certificate
    /// PEM file with ``strangerCA``.
    public let strangerCAFile: String
    /// The server: CN=localhost, SANs DNS:localhost, IP:127.0.0.1, IP:::1; chain file has the intermediate.
    public let server: TestIdentity
    /// A good client signed by the intermediate (CN=client, O=Gatehouse Tests); chain file has the intermediate.
    public let client: TestIdentity
    /// A good client signed directly by the root (CN=root-client).
    public let rootClient: TestIdentity
    /// A client from ``strangerCA`` (CN=stranger-client).
    public let strangerClient: TestIdentity
    /// A client whose notAfter is 30 days before ``referenceTime``.
    public let expiredClient: TestIdentity
    /// A client whose notBefore is 30 days after ``referenceTime``.
    public let notYetValidClient: TestIdentity
    /// A "client" with only the serverAuth EKU.
    public let serverEKUClient: TestIdentity
    /// A self-signed client certificate with the clientAuth EKU.
    public let selfSignedClient: TestIdentity
    /// ``client`` with the intermediate as a PKCS#12 file.
    public let clientPFXFile: String
    /// The password of ``clientPFXFile``.
    public let clientPFXPassword = "gatehouse-test"
    /// ``rootCA`` with its key, to mint more test material (CRLs, extra clients).
    public let rootAuthority: CertificateAuthority
    /// ``intermediateCA`` with its key.
    public let intermediateAuthority: CertificateAuthority
    /// Clients minted by ``client(named:)``, by common name.
    private let namedClients = Mutex<[String: TestIdentity]>([:])

    /// The PKI for this test process, minted on first use.
    /// - Throws: whatever minting or writing threw (every later call throws it again).
    public static func shared() throws -> TestPKI { try sharedResult.get() }

    private static let sharedResult = Result<TestPKI, any Error> {
        let base = FileManager.default.temporaryDirectory.path
        let directory = (base as NSString).appendingPathComponent("gatehouse-testpki-\(getpid())-\(UUID().uuidString)")
        let now = Date().timeIntervalSince1970
        return try TestPKI(
            directory: directory,
            referenceTime: Date(timeIntervalSince1970: (now / 60).rounded(.down) * 60)
        )
    }

    /// Mints a new PKI into `directory` (created if missing). Prefer ``shared()``.
    public init(directory: String, referenceTime: Date) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        self.directory = directory
        self.referenceTime = referenceTime
        let writer = TestPKIWriter(directory: directory, referenceTime: referenceTime)

        let root = try CertificateAuthority.createRoot(writer.spec("Gatehouse Test Root CA", .rootCA, validity: .long))
        let intermediate = try root.issueIntermediate(
            writer.spec(
                "Gatehouse Test Intermediate CA",
                .intermediateCA,
                validity: .long
            )
        )
        let stranger = try CertificateAuthority.createRoot(writer.spec("Stranger Root CA", .rootCA, validity: .long))
        self.rootCA = root.certificate
        self.rootAuthority = root
        self.intermediateAuthority = intermediate
        self.intermediateCA = intermediate.certificate
        self.strangerCA = stranger.certificate
        self.rootCAFile = try writer.writeCertificates([root.certificate], name: "root-ca.crt")
        self.intermediateCAFile = try writer.writeCertificates([intermediate.certificate], name: "intermediate-ca.crt")
        self.strangerCAFile = try writer.writeCertificates([stranger.certificate], name: "stranger-ca.crt")

        let serverSANs: [SubjectAlternativeName] = [.dnsName("localhost"), .ipAddress("127.0.0.1"), .ipAddress("::1")]
        self.server = try writer.identity(
            "server",
            issuer: intermediate,
            spec: writer.spec("localhost", .server, sans: serverSANs)
        )
        self.client = try writer.identity("client", issuer: intermediate, spec: writer.spec("client", .client))
        self.rootClient = try writer.identity("root-client", issuer: root, spec: writer.spec("root-client", .client))
        self.strangerClient = try writer.identity(
            "stranger-client",
            issuer: stranger,
            spec: writer.spec("stranger-client", .client)
        )
        self.expiredClient = try writer.identity(
            "expired-client",
            issuer: intermediate,
            spec: writer.spec("expired-client", .client, validity: .expired)
        )
        self.notYetValidClient = try writer.identity(
            "not-yet-valid-client",
            issuer: intermediate,
            spec: writer.spec(
                "not-yet-valid-client",
                .client,
                validity: .notYetValid
            )
        )
        self.serverEKUClient = try writer.identity(
            "server-eku-client",
            issuer: intermediate,
            spec: writer.spec("server-eku-client", .server)
        )
        self.selfSignedClient = try writer.identity(
            "self-signed-client",
            issuer: nil,
            spec: writer.spec("self-signed-client", .client)
        )
        let pfx = try PKCS12Bundle.encode(
            certificate: self.client.certificate,
            key: self.client.key,
            chain: [intermediate.certificate],
            password: self.clientPFXPassword,
            friendlyName: "client"
        )
        self.clientPFXFile = try writer.write(pfx, name: "client.pfx")
    }

    /// The identity for a ``Client`` case.
    public func identity(_ client: Client) -> TestIdentity {
        switch client {
        case .client: self.client
        case .rootClient: self.rootClient
        case .strangerClient: self.strangerClient
        case .expiredClient: self.expiredClient
        case .notYetValidClient: self.notYetValidClient
        case .serverEKUClient: self.serverEKUClient
        case .selfSignedClient: self.selfSignedClient
        }
    }

    /// A good client certificate (under ``intermediateCA``) with the subject `CN=<commonName>,O=Gatehouse Tests`,
    /// minted on first use and reused afterwards; `"client"` is ``client`` itself.
    ///
    /// Files are written into ``directory`` like every other identity's.
    /// - Throws: ``CertificateError`` when minting or writing fails.
    public func client(named commonName: String) throws -> TestIdentity {
        if commonName == self.client.certificate.commonName { return self.client }
        return try self.namedClients.withLock { clients in
            if let existing = clients[commonName] { return existing }
            let writer = TestPKIWriter(directory: self.directory, referenceTime: self.referenceTime)
            let identity = try writer.identity(
                "named-client-\(clients.count + 1)",
                issuer: self.intermediateAuthority,
                spec: writer.spec(commonName, .client)
            )
            clients[commonName] = identity
            return identity
        }
    }

    /// A trust store holding only ``rootCA``.
    public func makeTrustStore() -> TrustStore { TrustStore(certificates: [self.rootCA]) }
}
