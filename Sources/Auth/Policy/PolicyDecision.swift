import GatehouseCertificates

/// One failed check of a policy: a stable reason code and a lazily built explanation.
public struct PolicyFailure: Sendable, CustomStringConvertible {
    /// The reason code (`untrusted`, `expired`, …).
    public let reason: ClientCertificateRejection.Reason
    private let makeDetail: @Sendable () -> String

    /// Creates a failure; `detail` runs only when the failure is logged or shown.
    public init(_ reason: ClientCertificateRejection.Reason, detail: @escaping @Sendable () -> String) {
        self.reason = reason
        self.makeDetail = detail
    }

    /// What exactly failed, e.g. OpenSSL's text for `untrusted`.
    public var detail: String { self.makeDetail() }

    /// The reason code, then the detail (built now): `untrusted: …`.
    public var description: String { "\(self.reason): \(self.detail)" }
}

/// A refused certificate: every failed check, in the fixed order the checks run.
public struct PolicyRejection: Sendable, CustomStringConvertible {
    /// The failed checks, never empty; the first is the reason reported.
    public let failures: [PolicyFailure]
    /// The leaf's subject (RFC 4514); `nil` when no certificate was sent.
    public let subject: String?
    /// The leaf's SHA-256 thumbprint, uppercase hex; `nil` when no certificate was sent.
    public let sha256Thumbprint: String?
    /// The leaf as an identity (no matched entry), for report mode; `nil` when no certificate was sent.
    public let unverifiedIdentity: ClientCertificateIdentity?

    /// The first failure's reason.
    public var reason: ClientCertificateRejection.Reason { self.failures[0].reason }

    /// Every failure's reason, in order.
    public var reasons: [ClientCertificateRejection.Reason] { self.failures.map(\.reason) }

    /// `untrusted: … ; expired: … (subject …, sha256 …)`, built when read.
    public var description: String {
        let checks = self.failures.map(\.description).joined(separator: "; ")
        guard let subject, let sha256Thumbprint else { return checks }
        return "\(checks) (subject \(subject), sha256 \(sha256Thumbprint))"
    }

    /// The client-facing error: 403 `Invalid client certificate`, the detail shown only when `exposesDetail`.
    public func error(exposesDetail: Bool) -> ClientCertificateRejection {
        ClientCertificateRejection(self.reason, exposesDetail: exposesDetail) { self.description }
    }
}

/// What a policy decided about one certificate chain: a result, not an exception.
public enum PolicyDecision: Sendable {
    /// Every rule passed and, when identities are configured, one matched.
    case accepted(ClientCertificateIdentity)
    /// At least one check failed.
    case rejected(PolicyRejection)

    /// The identity, when accepted.
    public var identity: ClientCertificateIdentity? {
        if case .accepted(let identity) = self { return identity }
        return nil
    }

    /// The rejection, when rejected.
    public var rejection: PolicyRejection? {
        if case .rejected(let rejection) = self { return rejection }
        return nil
    }
}
