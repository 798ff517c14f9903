public import Foundation
public import GatehouseCertificates

/// One attribute of a distinguished name, such as `CN=client`.
public struct NameAttribute: Sendable, Hashable {
    /// OpenSSL's short name for the attribute type: `CN`, `O`, `OU`, `C`, `L`, `ST`, `emailAddress`, ….
    public var type: String
    /// The value, UTF-8.
    public var value: String

    /// Creates an attribute from OpenSSL's short name and a value.
    public init(_ type: String, _ value: String) {
        self.type = type
        self.value = value
    }

    /// `CN=value`.
    public static func commonName(_ value: String) -> NameAttribute { NameAttribute("CN", value) }
    /// `O=value`.
    public static func organization(_ value: String) -> NameAttribute { NameAttribute("O", value) }
    /// `OU=value`.
    public static func organizationalUnit(_ value: String) -> NameAttribute { NameAttribute("OU", value) }
}

/// What to put in a certificate being minted.
///
/// ```swift
/// let spec = CertificateSpec(
///     subject: [.commonName("localhost")], kind: .server,
///     sans: [.dnsName("localhost"), .ipAddress("127.0.0.1")],
///     notBefore: now, notAfter: now.addingTimeInterval(365 * 86_400))
/// ```
public struct CertificateSpec: Sendable, Hashable {
    /// The role of the certificate, which fixes its extensions.
    public enum Kind: Sendable, Hashable {
        /// A root CA: basicConstraints critical CA:TRUE; keyUsage critical keyCertSign, cRLSign.
        case rootCA
        /// An intermediate CA: as a root, plus pathlen:0.
        case intermediateCA
        /// A TLS server: keyUsage critical digitalSignature (+ keyEncipherment for RSA); EKU serverAuth.
        case server
        /// A TLS client: keyUsage critical digitalSignature (+ keyEncipherment for RSA); EKU clientAuth.
        case client
        /// A delegated OCSP responder (RFC 6960 §4.2.2.2): keyUsage critical digitalSignature; EKU OCSPSigning.
        case ocspResponder
    }

    /// The subject name in encoding order, most general first (`[.organization("Example"), .commonName("client")]`),
    /// which RFC 4514 text shows reversed: `CN=client,O=Example`.
    public var subject: [NameAttribute]
    /// The certificate's role.
    public var kind: Kind
    /// subjectAlternativeName entries (leaves only; ignored when empty).
    public var sans: [SubjectAlternativeName]
    /// The start of the validity period.
    public var notBefore: Date
    /// The end of the validity period.
    public var notAfter: Date
    /// The key to generate when none is supplied.
    public var keyType: KeyType
    /// The OCSP responder URL put into the Authority Information Access extension; none when `nil`.
    public var ocspResponderURL: String? = nil

    /// Creates a specification. The default validity is one year from now.
    public init(
        subject: [NameAttribute],
        kind: Kind,
        sans: [SubjectAlternativeName] = [],
        notBefore: Date = Date(),
        notAfter: Date? = nil,
        keyType: KeyType = .ecdsaP256
    ) {
        self.subject = subject
        self.kind = kind
        self.sans = sans
        self.notBefore = notBefore
        self.notAfter = notAfter ?? notBefore.addingTimeInterval(365 * 86_400)
        self.keyType = keyType
    }
}

/// A freshly minted certificate with its private key.
public struct IssuedCertificate: Sendable {
    /// The certificate.
    public let certificate: Certificate
    /// Its private key.
    public let key: PrivateKey

    /// Pairs a certificate with its key.
    public init(certificate: Certificate, key: PrivateKey) {
        self.certificate = certificate
        self.key = key
    }

    /// Mints a self-signed certificate (a root CA with ``CertificateSpec/Kind/rootCA``, or a self-signed leaf).
    /// - Parameter key: the key to certify; a new one of `spec.keyType` when `nil`.
    /// - Throws: ``CertificateError/Code/generationFailed``.
    public static func selfSigned(_ spec: CertificateSpec, key: PrivateKey? = nil) throws -> IssuedCertificate {
        let subjectKey = try key ?? PrivateKey.generate(spec.keyType)
        let certificate = try CertificateBuilder.build(spec, subjectKey: subjectKey, issuer: nil)
        return IssuedCertificate(certificate: certificate, key: subjectKey)
    }
}

/// A CA that issues certificates: its certificate and signing key.
///
/// ```swift
/// let root = try CertificateAuthority.createRoot(CertificateSpec(subject: [.commonName("Dev CA")], kind: .rootCA))
/// let client = try root.issue(CertificateSpec(subject: [.commonName("client")], kind: .client))
/// ```
public struct CertificateAuthority: Sendable {
    /// The CA's certificate.
    public let certificate: Certificate
    /// The CA's signing key.
    public let key: PrivateKey

    /// Wraps an existing CA certificate and its key.
    /// - Throws: ``CertificateError/Code/keyMismatch`` when the key does not belong to the certificate.
    public init(certificate: Certificate, key: PrivateKey) throws {
        guard key.matches(certificate) else {
            throw CertificateError(.keyMismatch, "CA key does not match \(certificate.subject)")
        }
        self.certificate = certificate
        self.key = key
    }

    /// Mints a self-signed root CA; `spec.kind` should be ``CertificateSpec/Kind/rootCA``.
    public static func createRoot(_ spec: CertificateSpec) throws -> CertificateAuthority {
        let issued = try IssuedCertificate.selfSigned(spec)
        return try CertificateAuthority(certificate: issued.certificate, key: issued.key)
    }

    /// Issues a certificate signed by this CA (sha256).
    /// - Parameter key: the key to certify; a new one of `spec.keyType` when `nil`.
    /// - Throws: ``CertificateError/Code/generationFailed``.
    public func issue(_ spec: CertificateSpec, key: PrivateKey? = nil) throws -> IssuedCertificate {
        let subjectKey = try key ?? PrivateKey.generate(spec.keyType)
        let certificate = try CertificateBuilder.build(spec, subjectKey: subjectKey, issuer: self)
        return IssuedCertificate(certificate: certificate, key: subjectKey)
    }

    /// Issues an intermediate CA signed by this CA.
    public func issueIntermediate(_ spec: CertificateSpec) throws -> CertificateAuthority {
        var spec = spec
        spec.kind = .intermediateCA
        let issued = try self.issue(spec)
        return try CertificateAuthority(certificate: issued.certificate, key: issued.key)
    }
}
