/// Why an OCSP exchange gave no usable status: the responder could not be asked, or its answer cannot be believed.
public struct OCSPError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, as a stable code.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case noIssuer, noResponder, unreachable, timedOut, badResponse, responderError, unverified,
                noStatus, stale
        }
        private let base: Base
        /// The code's name, e.g. `unverified`.
        public var description: String { self.base.rawValue }

        /// The verified chain has no issuer for the leaf (a pinned or self-signed certificate): no CertID.
        public static let noIssuer = Code(base: .noIssuer)
        /// Neither the policy nor the leaf's Authority Information Access names a responder.
        public static let noResponder = Code(base: .noResponder)
        /// The responder could not be reached, or the connection failed.
        public static let unreachable = Code(base: .unreachable)
        /// The responder did not answer within the timeout.
        public static let timedOut = Code(base: .timedOut)
        /// The answer is not an OCSP response (wrong HTTP status, content, size or DER).
        public static let badResponse = Code(base: .badResponse)
        /// The responder answered with an error status (`malformedRequest`, `tryLater`, `unauthorized`, …).
        public static let responderError = Code(base: .responderError)
        /// The response's signature or signer is not trusted: not the issuer, nor a responder certificate the
        /// issuer delegated with the OCSP-signing EKU.
        public static let unverified = Code(base: .unverified)
        /// The response has no status for the certificate asked about.
        public static let noStatus = Code(base: .noStatus)
        /// thisUpdate is in the future or nextUpdate has passed (beyond the leeway).
        public static let stale = Code(base: .stale)
    }

    /// The kind of failure.
    public let code: Code
    /// Detail for the log: the URL, the HTTP status, OpenSSL's error queue.
    public let detail: String

    /// Creates an error.
    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    /// `code: detail`.
    public var description: String { "\(self.code): \(self.detail)" }
}
