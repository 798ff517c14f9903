/// A client-certificate policy as written in the configuration file: the mutable builder that
/// ``ClientCertificatePolicy`` is made from. Property names are the configuration keys (DESIGN.md).
public struct PolicyConfiguration: Sendable, Hashable, Codable {
    /// Whether the chain must verify to ``trustedCAs`` (or the leaf be one of ``certificates``).
    public var validateTrust: Bool = true
    /// Whether the leaf's notBefore is checked.
    public var validateNotBefore: Bool = true
    /// Whether the leaf's notAfter is checked.
    public var validateNotAfter: Bool = true
    /// Whether the leaf (and chain) must not be revoked by any of ``crls``.
    public var validateRevocation: Bool = false
    /// Check revocation for the whole chain, not only the leaf (`X509_V_FLAG_CRL_CHECK_ALL`).
    public var validateRevocationForWholeChain: Bool = false
    /// Root CA certificates: PEM files or directories.
    public var trustedCAs: [String] = []
    /// Extra intermediate CA certificates: PEM files or directories.
    public var intermediates: [String] = []
    /// CRL files, PEM or DER.
    public var crls: [String] = []
    /// The allow-list of client certificates: files or directories.
    public var certificates: [String] = []
    /// How the leaf is compared with ``certificates``.
    public var allowListMatch: AllowListMatch = .certificate
    /// When non-empty, at least one must match.
    public var identities: [IdentityConfiguration] = []
    /// The leaf must allow clientAuth (or have no EKU) and must not be a CA.
    public var requireClientAuthEKU: Bool = true
    /// The most intermediate CA certificates between the leaf and the trusted root.
    public var maxChainDepth: Int = 4
    /// `enforce` refuses failures; `report` logs them and lets the request through.
    public var mode: PolicyMode = .enforce
    /// Needed to run with `validateTrust: false` and no pinned certificates or thumbprint/SPKI identities.
    public var allowInsecure: Bool = false
    /// Put the detailed reason into the 403 body (the log always has it).
    public var exposeFailureReason: Bool = false
    /// The online revocation check (OCSP); `nil` when the policy does not ask responders.
    public var ocsp: OCSPConfiguration? = nil

    /// A policy with DESIGN.md's defaults.
    public init() {}
}

/// How a leaf is compared with a policy's `certificates`.
public enum AllowListMatch: String, Sendable, Hashable, Codable, CaseIterable {
    /// The exact certificate (SHA-256 of its DER); trusted as it is.
    case certificate
    /// The same subject DN as a listed certificate; the chain must still verify.
    case subject
    /// The same public key (SPKI) as a listed certificate.
    case spki
}

/// Whether a policy refuses or only reports failures.
public enum PolicyMode: String, Sendable, Hashable, Codable, CaseIterable {
    /// Refuse with 403.
    case enforce
    /// Log what would fail and let the request through.
    case report
}

/// One acceptable identity: every field that is set must match.
public struct IdentityConfiguration: Sendable, Hashable, Codable {
    /// SHA-1 or SHA-256 thumbprint of the certificate; hex, case, spaces and colons ignored.
    public var thumbprint: String?
    /// Serial number; hex, case, spaces and colons ignored.
    public var serialNumber: String?
    /// The subject's common name, exactly.
    public var commonName: String?
    /// The subject DN, compared as a name (`CN=a, O=B` equals `CN=a,O=B`).
    public var subject: String?
    /// A DNS subjectAltName, case-insensitively.
    public var dnsName: String?
    /// A URI subjectAltName (e.g. a SPIFFE ID), exactly.
    public var uri: String?
    /// An email subjectAltName.
    public var email: String?
    /// An IP address subjectAltName.
    public var ipAddress: String?
    /// The issuer DN, compared as a name.
    public var issuerSubject: String?
    /// SHA-1 or SHA-256 thumbprint of the issuing CA certificate.
    public var issuerThumbprint: String?
    /// SHA-256 of the SubjectPublicKeyInfo, hex or base64: survives renewal with the same key.
    public var spki: String?

    /// An identity with no fields set (matches nothing until one is set).
    public init() {}
}
