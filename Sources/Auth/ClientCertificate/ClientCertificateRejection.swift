import HTTPTypes
public import Transport

/// Why a client certificate was refused. Stable codes for logs and, when exposed, the problem body.
public struct ClientCertificateRejection: HTTPResponseError, CustomStringConvertible, Sendable {
    /// The reason code.
    public struct Reason: Hashable, Sendable, CustomStringConvertible {
        private let code: String
        public var description: String { self.code }

        /// The client sent no certificate.
        public static let noCertificate = Reason(code: "no_certificate")
        /// The chain does not verify to a trusted CA.
        public static let untrusted = Reason(code: "untrusted")
        /// The leaf's notAfter has passed.
        public static let expired = Reason(code: "expired")
        /// The leaf's notBefore is still ahead.
        public static let notYetValid = Reason(code: "not_yet_valid")
    }

    /// The reason code.
    public let reason: Reason
    /// Detail for the log (OpenSSL's text, the subject and thumbprint); shown to the client only when
    /// `exposeFailureReason` is on.
    public let detail: String
    /// Whether the detail goes into the problem body.
    public let exposesDetail: Bool

    /// Creates a rejection.
    public init(_ reason: Reason, detail: String, exposesDetail: Bool = false) {
        self.reason = reason
        self.detail = detail
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

    public var description: String { "\(self.reason): \(self.detail)" }
}
