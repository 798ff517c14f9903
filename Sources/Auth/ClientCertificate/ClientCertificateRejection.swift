public import GatehouseTransport
import HTTPTypes

/// Why a client certificate was refused. Stable codes for logs and, when exposed, the problem body.
public struct ClientCertificateRejection: HTTPResponseError, CustomStringConvertible, Sendable {
    /// The reason code.
    public struct Reason: Hashable, Sendable, CustomStringConvertible {
        private let code: String
        /// The code as it appears in logs and problem bodies, e.g. `not_yet_valid`.
        public var description: String { self.code }

        /// The client sent no certificate.
        public static let noCertificate = Reason(code: "no_certificate")
        /// The chain does not verify to a trusted CA.
        public static let untrusted = Reason(code: "untrusted")
        /// The leaf's notAfter has passed.
        public static let expired = Reason(code: "expired")
        /// The leaf's notBefore is still ahead.
        public static let notYetValid = Reason(code: "not_yet_valid")
        /// A CRL lists the leaf (or, with `validateRevocationForWholeChain`, a CA of its chain).
        public static let revoked = Reason(code: "revoked")
        /// The policy's `certificates` do not list the leaf.
        public static let notOnAllowList = Reason(code: "not_on_allow_list")
        /// None of the policy's `identities` matches.
        public static let noIdentityMatched = Reason(code: "no_identity_matched")
        /// The leaf does not allow TLS client authentication (EKU) or is a CA certificate.
        public static let notAClientCertificate = Reason(code: "not_a_client_certificate")
        /// More intermediate CAs than `maxChainDepth` between the leaf and the trusted root.
        public static let chainTooDeep = Reason(code: "chain_too_deep")
        /// The policy's OCSP check (`hardFail`) could not learn the leaf's status: the responder is unreachable or
        /// slow, its answer does not verify, or it answered `unknown`.
        public static let revocationUnknown = Reason(code: "revocation_unknown")

        /// Every reason a policy gives, for instruments created once per reason (``ClientCertificateMonitor``).
        package static let all: [Reason] = [
            .noCertificate, .untrusted, .expired, .notYetValid, .revoked, .notOnAllowList, .noIdentityMatched,
            .notAClientCertificate, .chainTooDeep, .revocationUnknown,
        ]
    }

    /// The reason code.
    public let reason: Reason
    /// Detail for the log (OpenSSL's text, the subject and thumbprint); shown to the client only when
    /// `exposeFailureReason` is on. Built when first read.
    public var detail: String { self.makeDetail() }
    private let makeDetail: @Sendable () -> String
    /// Whether the detail goes into the problem body.
    public let exposesDetail: Bool

    /// Creates a rejection.
    public init(_ reason: Reason, detail: String, exposesDetail: Bool = false) {
        self.init(reason, exposesDetail: exposesDetail, detail: { detail })
    }

    /// Creates a rejection whose detail is built only when it is read (logged or exposed).
    public init(_ reason: Reason, exposesDetail: Bool = false, detail: @escaping @Sendable () -> String) {
        self.reason = reason
        self.makeDetail = detail
        self.exposesDetail = exposesDetail
    }

    /// The title of every rejection, and the HTTP/1.1 reason phrase.
    public static let title = "Invalid client certificate"

    /// 403 `Invalid client certificate` with an `application/problem+json` body.
    public var response: Response {
        .problem(
            status: .forbidden,
            title: Self.title,
            detail: self.exposesDetail ? "\(self.reason): \(self.detail)" : nil
        )
    }

    /// The reason code, then the detail (built now), for the log: `untrusted: …`.
    public var description: String { "\(self.reason): \(self.detail)" }
}
