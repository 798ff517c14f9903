import Foundation

/// What `gatehouse check` found in a configuration that `serve` would start with: its listeners, routes and
/// policies with the dates their trust material expires, and the warnings an operator should act on.
///
/// Codable: `gatehouse check --json` prints it as one JSON document; ``text`` is the same content for people.
public struct CheckReport: Sendable, Hashable, Codable {
    /// The configuration file checked (absolute), or `(embedded default)`.
    public var configuration: String
    /// When the check ran (ISO 8601, UTC); remaining days are counted from it.
    public var checkedAt: String
    /// Always `true` in a report: a configuration that `serve` would refuse has none (the error is printed).
    public var ok: Bool
    /// Each listener in file order.
    public var listeners: [Listener]
    /// Each route in file order.
    public var routes: [Route]
    /// Each policy in file order.
    public var policies: [Policy]
    /// Everything that works today but needs attention; empty when there is nothing to say.
    public var warnings: [Warning]
    /// Each authenticator the file defines (`authenticators:`), in file order.
    public var authenticators: [Authenticator] = []

    /// One authenticator the file defines: what it accepts and the routes that use it.
    public struct Authenticator: Sendable, Hashable, Codable {
        /// One key of its JWKS.
        public struct Key: Sendable, Hashable, Codable {
            /// The key's `kid`.
            public var kid: String
            /// `ES256` or `RS256`.
            public var alg: String
        }

        /// Its name under `authenticators:`.
        public var name: String
        /// Its `type` (`boundToken`).
        public var type: String
        /// The `iss` a token must carry.
        public var issuer: String
        /// The audiences a token's `aud` must name one of.
        public var audiences: [String]
        /// The leeway for `exp` and `nbf`, as the file writes durations (`30s`).
        public var leeway: String
        /// The JWKS file (absolute).
        public var jwks: String
        /// The keys the JWKS holds, in file order.
        public var keys: [Key]
        /// The key paths of the routes that use it (`routes[0]`).
        public var routes: [String]
    }

    /// One certificate: who it is for and until when.
    public struct CertificateSummary: Sendable, Hashable, Codable {
        /// Subject, RFC 4514.
        public var subject: String
        /// Issuer, RFC 4514.
        public var issuer: String
        /// notAfter, ISO 8601 (UTC).
        public var notAfter: String
        /// Whole days from the check until notAfter; negative once expired.
        public var daysRemaining: Int
        /// SHA-256 of the DER, uppercase hex.
        public var sha256: String
        /// subjectAlternativeName entries as `DNS:…`, `IP:…`, `URI:…`, `email:…`.
        public var subjectAlternativeNames: [String]
    }

    /// One certificate revocation list.
    public struct CRLSummary: Sendable, Hashable, Codable {
        /// The CRL's issuer, RFC 4514.
        public var issuer: String
        /// thisUpdate, ISO 8601 (UTC).
        public var thisUpdate: String
        /// nextUpdate, ISO 8601 (UTC); `nil` when the CRL has none.
        public var nextUpdate: String?
        /// Whole days from the check until nextUpdate; negative once past.
        public var daysRemaining: Int?
        /// How many certificates it revokes.
        public var revokedCount: Int
    }

    /// One listener: where it listens and the certificate it presents.
    public struct Listener: Sendable, Hashable, Codable {
        /// Its key path, `listeners[0]`.
        public var key: String
        /// Its `name`, if any.
        public var name: String?
        /// The address it would listen on.
        public var host: String
        /// The port it would listen on.
        public var port: Int
        /// ALPN protocols in order of preference.
        public var protocols: [String]
        /// `none`, `request` or `require`.
        public var clientCertificate: String
        /// The server certificate (the leaf).
        public var certificate: CertificateSummary
        /// The rest of the chain the listener sends, nearest issuer first.
        public var chain: [CertificateSummary]
        /// The listener's own `trustedCAs` (for `require`, and the CA names sent to clients).
        public var trustedCAs: [CertificateSummary]
        /// The proxy whose forwarded client certificates it believes; `nil` (left out of the JSON) for none.
        public var trustForwardedClientCertificate: ForwardedCertificateTrust? = nil
        /// The file its session-ticket keys come from; `nil` (left out of the JSON) for random rotating keys.
        public var sessionTicketKeyFile: String? = nil
    }

    /// A listener's `trustForwardedClientCertificate`.
    public struct ForwardedCertificateTrust: Sendable, Hashable, Codable {
        /// `rfc9440` or `xfcc`.
        public var header: String
        /// The policy the proxy's own certificate must pass.
        public var fromPolicy: String
    }

    /// One route: path → policy → function.
    public struct Route: Sendable, Hashable, Codable {
        /// Its key path, `routes[0]`.
        public var key: String
        /// The path pattern.
        public var path: String
        /// The methods it answers.
        public var methods: [String]
        /// The client-certificate policy in front of it, if any.
        public var policy: String?
        /// The authenticator steps after the policy (see `RouteConfiguration.authenticators`).
        public var authenticators: [[String]]
        /// The function that answers; empty for an upstream route.
        public var function: String
        /// The upstream it forwards to (gateway mode), with its URL: `orders (https://10.0.0.5:9000)`; `nil` for a
        /// function route.
        public var upstream: String? = nil
        /// The listeners it is served on; `nil` for every listener.
        public var listeners: [String]?
    }

    /// One policy and the trust material it loaded.
    public struct Policy: Sendable, Hashable, Codable {
        /// Its name under `policies:`.
        public var name: String
        /// `enforce` or `report`.
        public var mode: String
        /// How allow-listed certificates are compared (`certificate`, `subject`, `spki`).
        public var allowListMatch: String
        /// How many `identities` entries it has.
        public var identityCount: Int
        /// The CAs of `trustedCAs`.
        public var trustedCAs: [CertificateSummary]
        /// The CAs of `intermediates`.
        public var intermediates: [CertificateSummary]
        /// The certificates of `certificates` (the allow-list).
        public var allowList: [CertificateSummary]
        /// The CRLs of `crls`.
        public var crls: [CRLSummary]
        /// The online revocation check; `nil` when the policy has no `ocsp`.
        public var ocsp: OCSPSummary?
    }

    /// A policy's `ocsp` settings.
    public struct OCSPSummary: Sendable, Hashable, Codable {
        /// `hardFail` or `softFail`.
        public var mode: String
        /// The configured responder; `nil` when each certificate's Authority Information Access names it.
        public var responder: String?
        /// The timeout of one exchange, in milliseconds.
        public var timeoutMilliseconds: Int64
        /// The most statuses cached.
        public var cacheSize: Int
    }

    /// Something that works today but needs attention.
    public struct Warning: Sendable, Hashable, Codable {
        /// What kind of problem it is.
        public enum Kind: String, Sendable, Hashable, Codable {
            /// A certificate or CA expires within the warning window (30 days).
            case expiresSoon
            /// A certificate or CA has expired.
            case expired
            /// A CRL is past its nextUpdate.
            case crlOutdated
            /// A listener's certificate has no SAN for the listener's host.
            case hostNotCovered
            /// A route without a policy on a listener that asks for client certificates.
            case routeWithoutPolicy
        }

        /// What kind of problem it is.
        public var kind: Kind
        /// The key path it is about, e.g. `policies.partners.trustedCAs`.
        public var key: String
        /// The line of the configuration file that holds the key, when known.
        public var line: Int?
        /// What is wrong and what to do, in one sentence.
        public var message: String
    }
}

extension CheckReport {
    /// Stable JSON: sorted keys, indented, a trailing newline.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
    }
}
