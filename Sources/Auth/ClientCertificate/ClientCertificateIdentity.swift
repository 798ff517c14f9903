public import Foundation
public import GatehouseCertificates

/// Who a client certificate says the caller is, after it passed the policy.
///
/// Values derived from the certificate (thumbprints, SANs, names) are computed when read; read them once
/// per request at most. Copying an identity costs one retain: the facts live in one shared, immutable object,
/// so the value also fits ``RequestContext/identity`` without a heap box.
public struct ClientCertificateIdentity: Sendable, Hashable {
    /// The configured identity entry that matched: its position in the policy's `identities` and the entry.
    public struct MatchedIdentity: Sendable, Hashable {
        /// The zero-based position in `identities`.
        public let index: Int
        /// The entry as configured.
        public let configuration: IdentityConfiguration

        /// Pairs a position with its entry.
        public init(index: Int, configuration: IdentityConfiguration) {
            self.index = index
            self.configuration = configuration
        }
    }

    private let facts: Facts

    /// Creates an identity for a leaf and the chain it came with.
    public init(
        certificate: Certificate,
        presentedChain: [Certificate],
        verifiedChain: [Certificate] = [],
        matchedIdentity: MatchedIdentity? = nil,
        forwardedBy proxy: Certificate? = nil
    ) {
        self.facts = Facts(
            certificate: certificate,
            presentedChain: presentedChain,
            verifiedChain: verifiedChain,
            matchedIdentity: matchedIdentity,
            forwardedBy: proxy
        )
    }

    /// This identity as forwarded by the trusted proxy whose certificate is `proxy`.
    public func forwarded(by proxy: Certificate) -> ClientCertificateIdentity {
        ClientCertificateIdentity(
            certificate: self.certificate,
            presentedChain: self.presentedChain,
            verifiedChain: self.verifiedChain,
            matchedIdentity: self.matchedIdentity,
            forwardedBy: proxy
        )
    }

    /// The leaf certificate.
    public var certificate: Certificate { self.facts.certificate }
    /// The chain as the client sent it, leaf first.
    public var presentedChain: [Certificate] { self.facts.presentedChain }
    /// The chain OpenSSL verified, leaf first, trust anchor last (`X509_STORE_CTX_get1_chain`); just the
    /// leaf when it was pinned; empty when trust was not validated.
    public var verifiedChain: [Certificate] { self.facts.verifiedChain }
    /// The identity entry that matched; `nil` when the policy has no identities.
    public var matchedIdentity: MatchedIdentity? { self.facts.matchedIdentity }
    /// The certificate of the trusted TLS-terminating proxy that forwarded this client's certificate in a header;
    /// `nil` when the client presented it in its own handshake.
    public var forwardedBy: Certificate? { self.facts.forwardedBy }

    /// The subject, RFC 4514.
    public var subject: String { self.certificate.subject }
    /// The issuer, RFC 4514.
    public var issuer: String { self.certificate.issuer }
    /// The serial number, uppercase hex.
    public var serialNumber: String { self.certificate.serialNumberHex }
    /// SHA-256 thumbprint, uppercase hex.
    public var sha256Thumbprint: String { self.certificate.sha256.hexString }
    /// SHA-1 thumbprint, uppercase hex, as Windows and Azure show it.
    public var sha1Thumbprint: String { self.certificate.sha1.hexString }
    /// SHA-256 of the SubjectPublicKeyInfo, uppercase hex: the same across renewals with the same key.
    public var spkiSHA256: String { self.certificate.spkiSHA256.hexString }
    /// The subjectAlternativeName entries.
    public var subjectAlternativeNames: [SubjectAlternativeName] { self.certificate.subjectAlternativeNames }
    /// The start of the certificate's validity.
    public var notBefore: Date { self.certificate.notBefore }
    /// The end of the certificate's validity.
    public var notAfter: Date { self.certificate.notAfter }
    /// The leaf as PEM text.
    public var leafPEM: String { self.certificate.pemString }

    /// Whole days from `now` until ``notAfter`` (negative once expired).
    public func daysUntilExpiry(at now: Date = Date()) -> Int {
        Int((self.notAfter.timeIntervalSince(now) / 86_400).rounded(.down))
    }

    /// Equal when the leaf, both chains, the matched entry and the forwarding proxy are; copies of one identity are
    /// equal without comparing.
    public static func == (lhs: ClientCertificateIdentity, rhs: ClientCertificateIdentity) -> Bool {
        lhs.facts === rhs.facts
            || (lhs.certificate == rhs.certificate && lhs.presentedChain == rhs.presentedChain
                && lhs.verifiedChain == rhs.verifiedChain && lhs.matchedIdentity == rhs.matchedIdentity
                && lhs.forwardedBy == rhs.forwardedBy)
    }

    /// Hashes what `==` compares: the leaf, both chains, the matched entry and the forwarding proxy.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.certificate)
        hasher.combine(self.presentedChain)
        hasher.combine(self.verifiedChain)
        hasher.combine(self.matchedIdentity)
        hasher.combine(self.forwardedBy)
    }
}

extension ClientCertificateIdentity {
    /// The stored facts, shared by every copy.
    private final class Facts: Sendable {
        let certificate: Certificate
        let presentedChain: [Certificate]
        let verifiedChain: [Certificate]
        let matchedIdentity: MatchedIdentity?
        let forwardedBy: Certificate?

        init(
            certificate: Certificate,
            presentedChain: [Certificate],
            verifiedChain: [Certificate],
            matchedIdentity: MatchedIdentity?,
            forwardedBy: Certificate?
        ) {
            self.certificate = certificate
            self.presentedChain = presentedChain
            self.verifiedChain = verifiedChain
            self.matchedIdentity = matchedIdentity
            self.forwardedBy = forwardedBy
        }
    }
}
