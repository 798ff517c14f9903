public import Foundation
import GatehouseAuth
import GatehouseCertificates
public import GatehouseRouting
public import GatehouseTransport
import HTTPTypes

/// `GET /api/whoami` → the caller's client-certificate identity as JSON.
///
/// Answers `verified` (`true` for an identity that passed the policy), `subject`, `issuer`, `serialNumber`,
/// `sha1`, `sha256`, `spki`, `sans` (`dns`, `uri`, `email`, `ip`), `notBefore`/`notAfter` (ISO 8601),
/// `daysUntilExpiry` and `matchedIdentity` (`null`, or the matched entry's `index` and `identity`). Behind a
/// policy in report mode, a certificate the policy would refuse is described too, with `"verified": false` and
/// `reason`, the refusal's code (`untrusted`, `expired`, …). A certificate a trusted TLS-terminating proxy forwarded
/// adds `forwarded`: the `header` it came in (`rfc9440`, `xfcc`) and the proxy's certificate (`by`: its `subject`
/// and `sha256`). Without a certificate to describe (no authenticator in front, or none sent) it answers the
/// policy's 403 `Invalid client certificate`.
public struct WhoAmI: Function {
    private let now: @Sendable () -> Date

    /// Creates the function; `now` is the clock `daysUntilExpiry` counts from.
    public init(now: @escaping @Sendable () -> Date = { Date() }) {
        self.now = now
    }

    /// Answers the identity document, or the 403 when there is none; never suspends, so it runs on the fast path.
    public func respond(to request: Request, context: RequestContext) async throws -> Response {
        try self.respondImmediately(to: request, context: context)
    }
}

extension WhoAmI: ImmediateFunction {
    package func respondImmediately(to request: Request, context: RequestContext) throws -> Response {
        if let identity = context.identity(as: ClientCertificateIdentity.self) {
            return try .json(encoding: WhoAmIDocument(identity, refusedFor: nil, now: self.now(), context: context))
        }
        if let refusal = context.reportedRefusal(of: ClientCertificateIdentity.self), let identity = refusal.identity {
            return try .json(
                encoding: WhoAmIDocument(identity, refusedFor: refusal.reason, now: self.now(), context: context)
            )
        }
        return .problem(status: .forbidden, title: ClientCertificateRejection.title)
    }
}

/// The JSON document `/api/whoami` answers: an identity that passed, or one refused for `reason` (report mode).
struct WhoAmIDocument: Encodable {
    /// The subjectAlternativeName entries by kind.
    struct SubjectAlternativeNames: Encodable {
        var dns: [String] = []
        var uri: [String] = []
        var email: [String] = []
        var ip: [String] = []
    }

    /// The configured identity entry that matched.
    struct MatchedIdentity: Encodable {
        let index: Int
        let identity: IdentityConfiguration
    }

    /// How a certificate a trusted proxy forwarded came in.
    struct Forwarded: Encodable {
        /// The proxy's own certificate.
        struct Proxy: Encodable {
            let subject: String
            let sha256: String
        }

        /// `rfc9440` or `xfcc`.
        let header: String
        let by: Proxy
    }

    let verified: Bool
    /// The refusal's code; left out for a verified identity.
    let reason: String?
    let subject: String
    let issuer: String
    let serialNumber: String
    let sha1: String
    let sha256: String
    let spki: String
    let sans: SubjectAlternativeNames
    let notBefore: String
    let notAfter: String
    let daysUntilExpiry: Int
    /// Written as `null` when no identity entry matched, so the key is always there.
    let matchedIdentity: MatchedIdentity?
    /// Left out unless a trusted proxy forwarded the certificate.
    let forwarded: Forwarded?

    init(_ identity: ClientCertificateIdentity, refusedFor reason: String?, now: Date, context: RequestContext) {
        var sans = SubjectAlternativeNames()
        for name in identity.subjectAlternativeNames {
            switch name {
            case .dnsName(let value): sans.dns.append(value)
            case .uri(let value): sans.uri.append(value)
            case .email(let value): sans.email.append(value)
            case .ipAddress(let value): sans.ip.append(value)
            }
        }
        self.verified = reason == nil
        self.reason = reason
        self.subject = identity.subject
        self.issuer = identity.issuer
        self.serialNumber = identity.serialNumber
        self.sha1 = identity.sha1Thumbprint
        self.sha256 = identity.sha256Thumbprint
        self.spki = identity.spkiSHA256
        self.sans = sans
        self.notBefore = identity.notBefore.ISO8601Format()
        self.notAfter = identity.notAfter.ISO8601Format()
        self.daysUntilExpiry = identity.daysUntilExpiry(at: now)
        self.matchedIdentity = identity.matchedIdentity.map {
            MatchedIdentity(index: $0.index, identity: $0.configuration)
        }
        self.forwarded = identity.forwardedBy.map { proxy in
            Forwarded(
                header: context.forwardedClientCertificate?.header ?? "-",
                by: Forwarded.Proxy(subject: proxy.subject, sha256: proxy.sha256.hexString)
            )
        }
    }

    private enum CodingKeys: String, CodingKey {
        case verified, reason, subject, issuer, serialNumber, sha1, sha256, spki, sans, notBefore, notAfter
        case daysUntilExpiry, matchedIdentity, forwarded
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.verified, forKey: .verified)
        try container.encodeIfPresent(self.reason, forKey: .reason)
        try container.encode(self.subject, forKey: .subject)
        try container.encode(self.issuer, forKey: .issuer)
        try container.encode(self.serialNumber, forKey: .serialNumber)
        try container.encode(self.sha1, forKey: .sha1)
        try container.encode(self.sha256, forKey: .sha256)
        try container.encode(self.spki, forKey: .spki)
        try container.encode(self.sans, forKey: .sans)
        try container.encode(self.notBefore, forKey: .notBefore)
        try container.encode(self.notAfter, forKey: .notAfter)
        try container.encode(self.daysUntilExpiry, forKey: .daysUntilExpiry)
        try container.encode(self.matchedIdentity, forKey: .matchedIdentity)
        try container.encodeIfPresent(self.forwarded, forKey: .forwarded)
    }
}
