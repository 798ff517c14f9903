import GatehouseAuth
import GatehouseCertificates
public import Foundation
import HTTPTypes
public import GatehouseRouting
public import GatehouseTransport

/// `GET /api/whoami` → the caller's client-certificate identity as JSON.
///
/// Answers `verified` (`true` for an identity that passed the policy), `subject`, `issuer`, `serialNumber`,
/// `sha1`, `sha256`, `spki`, `sans` (`dns`, `uri`, `email`, `ip`), `notBefore`/`notAfter` (ISO 8601),
/// `daysUntilExpiry` and `matchedIdentity` (`null`, or the matched entry's `index` and `identity`). Behind a
/// policy in report mode, a certificate the policy would refuse is described too, with `"verified": false` and
/// `reason`, the refusal's code (`untrusted`, `expired`, …). Without a certificate to describe (no
/// authenticator in front, or none sent) it answers the policy's 403 `Invalid client certificate`.
public struct WhoAmI: SynchronousFunction {
    private let now: @Sendable () -> Date

    /// Creates the function; `now` is the clock `daysUntilExpiry` counts from.
    public init(now: @escaping @Sendable () -> Date = { Date() }) {
        self.now = now
    }

    public func answer(_ request: Request, context: RequestContext) throws -> Response {
        if let identity = context.identity(as: ClientCertificateIdentity.self) {
            return .json(Self.json(identity, refusedFor: nil, now: self.now()))
        }
        if let refusal = context.reportedRefusal(of: ClientCertificateIdentity.self), let identity = refusal.identity {
            return .json(Self.json(identity, refusedFor: refusal.reason, now: self.now()))
        }
        return .problem(status: .forbidden, title: ClientCertificateRejection.title)
    }

    /// The JSON document for `identity`: verified, or refused for the reason code `reason` (report mode). Every
    /// string, certificate values included, is escaped as a JSON string literal.
    static func json(_ identity: ClientCertificateIdentity, refusedFor reason: String?, now: Date) -> String {
        var dns: [String] = [], uri: [String] = [], email: [String] = [], ip: [String] = []
        for name in identity.subjectAlternativeNames {
            switch name {
            case .dnsName(let value): dns.append(value)
            case .uri(let value): uri.append(value)
            case .email(let value): email.append(value)
            case .ipAddress(let value): ip.append(value)
            }
        }
        let verification: [(String, String)] =
            reason.map { [("verified", "false"), ("reason", jsonString($0))] } ?? [("verified", "true")]
        let fields: [(String, String)] = verification + [
            ("subject", jsonString(identity.subject)),
            ("issuer", jsonString(identity.issuer)),
            ("serialNumber", jsonString(identity.serialNumber)),
            ("sha1", jsonString(identity.sha1Thumbprint)),
            ("sha256", jsonString(identity.sha256Thumbprint)),
            ("spki", jsonString(identity.spkiSHA256)),
            ("sans", "{\"dns\":\(array(dns)),\"uri\":\(array(uri)),\"email\":\(array(email)),\"ip\":\(array(ip))}"),
            ("notBefore", jsonString(identity.notBefore.ISO8601Format())),
            ("notAfter", jsonString(identity.notAfter.ISO8601Format())),
            ("daysUntilExpiry", "\(identity.daysUntilExpiry(at: now))"),
            ("matchedIdentity", matched(identity.matchedIdentity)),
        ]
        return "{" + fields.map { "\(jsonString($0.0)):\($0.1)" }.joined(separator: ",") + "}"
    }
}

private func array(_ values: [String]) -> String {
    "[" + values.map(jsonString).joined(separator: ",") + "]"
}

private func matched(_ entry: ClientCertificateIdentity.MatchedIdentity?) -> String {
    guard let entry else { return "null" }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let configuration = (try? encoder.encode(entry.configuration)).map { String(decoding: $0, as: UTF8.self) }
    return "{\"index\":\(entry.index),\"identity\":\(configuration ?? "null")}"
}
