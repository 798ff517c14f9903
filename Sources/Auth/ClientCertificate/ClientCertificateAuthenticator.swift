public import Foundation
import GatehouseCertificates
public import GatehouseTransport
public import Logging

/// Accepts a caller whose client certificate passes a ``ClientCertificatePolicy``.
///
/// The decision is made once per connection, per authenticator and per policy generation, and reused by every
/// request and HTTP/2 stream on the connection (it lives in the connection's ``ConnectionStore``). When the
/// ``PolicyHandle``'s generation moves on (a reload), or when something the acceptance relied on expires (the
/// leaf's or a verified CA's notAfter, a CRL's nextUpdate), the next request re-evaluates. A certificate that fails
/// is refused with 403 `Invalid client certificate` (``ClientCertificateRejection``), logged with every failed check,
/// the certificate's subject and SHA-256 thumbprint; no certificate at all does not apply (another authenticator of
/// the route may), and the same 403 is the route's answer when none authenticates. In `report` mode a refusal is
/// logged and only reported: the request continues without an identity, the certificate and reason in
/// ``Transport/RequestContext/reportedRefusal`` (``ReportedRefusal``). A request that carries a certificate a trusted
/// TLS-terminating proxy forwarded (``Transport/RequestContext/forwardedClientCertificate``, set by
/// ``ForwardedClientCertificateMiddleware``) is judged by that certificate instead, per request.
///
/// ```swift
/// let authenticator = try ClientCertificateAuthenticator(trustedCAFiles: ["pki/ca.crt"], logger: logger)
/// try routes.add("/api/hello", function: Hello(), middleware: [authenticator.middleware()])
/// ```
public struct ClientCertificateAuthenticator: Authenticator {
    /// What an accepted caller is known as: the leaf, its chains and the identity entry it matched.
    public typealias Identity = ClientCertificateIdentity

    /// The policy this authenticator applies, swappable by a reload.
    public let policy: PolicyHandle
    let logger: Logger
    let now: @Sendable () -> Date
    /// Counts the decisions, keeps the allowed certificates' expiry series and warns about expiring certificates.
    public let monitor: ClientCertificateMonitor
    /// Distinguishes this authenticator's decisions from others' in the connection store.
    let cacheToken = CacheToken()

    /// Applies the policy in `policy`.
    /// - Parameters:
    ///   - policy: the current policy; replace it on the handle to reload.
    ///   - logger: where rejections (and report-mode findings) are logged.
    ///   - now: the clock validity and CRLs are checked against, read on every request; by default the
    ///     ``CoarseClock`` (a few milliseconds' resolution).
    ///   - monitor: where decisions are counted; pass the policy's one monitor to every authenticator of a policy.
    ///     By default a new one for the policy's name, on the bootstrapped `MetricsSystem`.
    public init(
        policy: PolicyHandle,
        logger: Logger,
        now: @escaping @Sendable () -> Date = CoarseClock.now,
        monitor: ClientCertificateMonitor? = nil
    ) {
        self.policy = policy
        self.logger = logger
        self.now = now
        self.monitor = monitor ?? ClientCertificateMonitor(policy: policy.current.policy.name, logger: logger)
    }

    /// Trusts the CA certificates in `trustedCAFiles` (PEM files or directories of them), every other policy
    /// setting at its default.
    ///
    /// Reads and parses the files: call at startup, never on an event loop.
    /// - Throws: ``PolicyError`` naming the file that could not be read.
    public init(trustedCAFiles: [String], exposeFailureReason: Bool = false, logger: Logger) throws {
        let policy = try ClientCertificatePolicy.trusting(trustedCAFiles, exposeFailureReason: exposeFailureReason)
        self.init(policy: PolicyHandle(policy), logger: logger)
    }

    /// The connection's decision: authenticated by a certificate that passes the policy; not applicable without a
    /// certificate (its challenge is the 403); refused otherwise — only reported when the policy is in report mode.
    ///
    /// With `ocsp` and no status known for the certificate, asks the responder first (sharing the request with
    /// concurrent callers about the same certificate) without blocking the event loop.
    public func authenticate(
        _ request: Request,
        context: RequestContext
    ) async throws -> AuthenticationResult<ClientCertificateIdentity> {
        if let answer = self.observedAnswer(for: context) { return answer }
        let answer: ConnectionDecision.Answer
        if let forwarded = context.forwardedClientCertificate {
            answer = await self.forwardedAnswerAskingResponder(forwarded, context: context)
        } else {
            answer = await self.answerAskingResponder(for: context)
        }
        if let observation = context.observation, observation.wantsDecision { self.note(answer, in: observation) }
        return answer
    }

    /// The connection's answer while its decision holds (same policy generation, nothing expired), or a new one;
    /// `nil` when the policy's OCSP responder must be asked first (``answerAskingResponder(for:)``).
    ///
    /// The cached path is one store lookup, one coarse clock read and one atomic load.
    func answer(for context: RequestContext) -> ConnectionDecision.Answer? {
        let now = self.now()
        let generation = self.policy.generation
        guard let decisions = context.connectionStore[ConnectionDecisions.self] else {
            return self.answer(for: context, at: now, in: nil)
        }
        // The usual case: this authenticator's decision is the first (often the only one) on the connection.
        if decisions.owner === self.cacheToken, decisions.generation == generation, now <= decisions.validUntil {
            return decisions.answer
        }
        return self.answer(for: context, at: now, in: decisions)
    }

    /// The answer of this authenticator's decision further down the connection's list, or of a new decision that
    /// takes its place; `nil` (and nothing stored) when the OCSP status must be asked for first.
    @inline(never)  // keeps the cached path above small
    private func answer(
        for context: RequestContext,
        at now: Date,
        in decisions: ConnectionDecision?
    ) -> ConnectionDecision.Answer? {
        if let cached = decisions?.find(self.cacheToken), cached.holds(generation: self.policy.generation, at: now) {
            return cached.answer
        }
        // One read: the decision keeps the policy and generation it was made under even if a reload follows.
        let snapshot = self.policy.snapshot
        let tls = context.connection.tls
        if decisions?.removing(self.cacheToken) == nil,
            let shared = self.sharedDecision(on: tls, generation: snapshot.generation, at: now)
        {
            return self.adopt(shared, in: context, at: now)
        }
        let evaluation = snapshot.policy.evaluate(
            chain: tls.peerCertificates,
            verifiedChain: tls.verifiedChain,
            at: now,
            revocation: nil
        )
        guard case .decided(let decision, let validUntil, let softFailure) = evaluation else { return nil }
        return self.store(
            decision,
            validUntil: validUntil,
            softFailure: softFailure,
            under: snapshot,
            in: context,
            at: now
        )
    }

    /// The answer after asking the policy's OCSP responder about the connection's certificate (or finding its
    /// status cached meanwhile).
    private func answerAskingResponder(for context: RequestContext) async -> ConnectionDecision.Answer {
        let now = self.now()
        let snapshot = self.policy.snapshot
        let tls = context.connection.tls
        var revocation: OCSPStatusCache.Entry? = nil
        while true {
            let evaluation = snapshot.policy.evaluate(
                chain: tls.peerCertificates,
                verifiedChain: tls.verifiedChain,
                at: now,
                revocation: revocation
            )
            switch evaluation {
            case .pending(let identity, let checker):
                // Given the entry, the next evaluation decides: the loop runs at most twice.
                revocation = await checker.resolve(identity, at: now)
            case .decided(let decision, let validUntil, let softFailure):
                // Re-read the store: other requests of the connection may have decided while this one waited.
                return self.store(
                    decision,
                    validUntil: validUntil,
                    softFailure: softFailure,
                    under: snapshot,
                    in: context,
                    at: now
                )
            }
        }
    }

    /// Turns a policy decision into the connection's decision (logging a rejection, counting it), stores it in
    /// the connection's list in place of this authenticator's earlier one and returns its answer.
    private func store(
        _ decision: PolicyDecision,
        validUntil: Date,
        softFailure: OCSPError?,
        under snapshot: PolicyHandle.Snapshot,
        in context: RequestContext,
        at now: Date
    ) -> ConnectionDecision.Answer {
        let tls = context.connection.tls
        let (answer, _) = self.answer(
            for: decision,
            policy: snapshot.policy,
            leaf: tls.peerCertificate,
            connection: context.connection.id,
            softFailure: softFailure,
            at: now
        )
        let decisions = context.connectionStore[ConnectionDecisions.self]
        let stored = ConnectionDecision(
            owner: self.cacheToken,
            generation: snapshot.generation,
            validUntil: validUntil,
            answer: answer,
            next: decisions?.removing(self.cacheToken)
        )
        context.connectionStore[ConnectionDecisions.self] = stored
        if softFailure == nil { self.share(stored, on: tls, policy: snapshot.policy) }
        return answer
    }

    /// Logs that a `softFail` OCSP check let a certificate through without a status, at most once a minute per
    /// policy (with how many such warnings were held back).
    private func warn(
        _ failure: OCSPError,
        identity: ClientCertificateIdentity,
        policy: ClientCertificatePolicy,
        at now: Date
    ) {
        guard let suppressed = policy.ocsp?.softFailureWarnings.admit(at: now) else { return }
        self.logger.warning(
            "client certificate allowed without an OCSP status (softFail)",
            metadata: [
                "policy": "\(policy.name)", "reason": "\(failure)", "subject": "\(identity.subject)",
                "sha256": "\(identity.sha256Thumbprint)", "suppressed": "\(suppressed)",
            ]
        )
    }

    /// What `decision` answers, and until when it holds; counts it and logs a rejection.
    /// - Parameters:
    ///   - leaf: the evaluated leaf, for the expiry warning of a refused one.
    ///   - proxy: the trusted proxy that forwarded the chain, if one did: named in the log.
    ///   - softFailure: why a `softFail` OCSP check let an accepted certificate through without a status (warned).
    func answer(
        for decision: PolicyDecision,
        policy: ClientCertificatePolicy,
        leaf: Certificate?,
        connection: UInt64,
        forwardedBy proxy: Certificate? = nil,
        softFailure: OCSPError? = nil,
        at now: Date
    ) -> (ConnectionDecision.Answer, validUntil: Date) {
        switch decision {
        case .accepted(let identity):
            self.monitor.allowed(identity.certificate, at: now)
            if let softFailure { self.warn(softFailure, identity: identity, policy: policy, at: now) }
            return (.authenticated(identity), policy.expiry(of: identity))
        case .rejected(let rejection):
            self.log(rejection, policy: policy, connection: connection, forwardedBy: proxy)
            self.monitor.refused(rejection.reason, reported: policy.mode == .report, leaf: leaf, at: now)
            // Built once per decision: every request the decision answers gets the same 403.
            let error = rejection.error(exposesDetail: policy.exposeFailureReason)
            let reason = rejection.reason.description
            if policy.mode == .report {
                // Through, but not as an identity: functions see the certificate only as a reported refusal.
                let identity = rejection.unverifiedIdentity.map { identity in
                    proxy.map(identity.forwarded(by:)) ?? identity
                }
                let report = ReportedRefusal(identity: identity, reason: reason)
                let refusal = AuthenticationRefusal(reason: reason, response: error.response, reporting: report)
                return (.refused(refusal), .distantFuture)
            } else if rejection.reason == .noCertificate {
                // No credential of this kind: another authenticator of the route may apply; if none does, the 403.
                let challenge = AuthenticationRefusal(reason: reason, response: error.response)
                return (.notApplicable(challenge: challenge), .distantFuture)
            }
            return (.refused(AuthenticationRefusal(reason: reason, response: error.response)), .distantFuture)
        }
    }

    private func log(
        _ rejection: PolicyRejection,
        policy: ClientCertificatePolicy,
        connection: UInt64,
        forwardedBy proxy: Certificate?
    ) {
        let message: Logger.Message =
            policy.mode == .report
            ? "client certificate would be rejected (report mode)" : "client certificate rejected"
        var metadata: Logger.Metadata = [
            "policy": "\(policy.name)", "reason": "\(rejection.reason)",
            "reasons": "\(rejection.reasons.map(\.description).joined(separator: ","))",
            "subject": "\(rejection.subject ?? "-")", "sha256": "\(rejection.sha256Thumbprint ?? "-")",
            "detail": "\(rejection)", "connection": "\(connection)",
        ]
        if let proxy { metadata["forwardedBy"] = "\(proxy.subject)" }
        self.logger.warning(message, metadata: metadata)
    }
}

extension ClientCertificateAuthenticator: ImmediateAuthenticator {
    /// The connection's decision, as ``authenticate(_:context:)``: the cached path makes no async call.
    /// `nil` when the policy's OCSP responder must be asked first.
    package func authenticateImmediately(
        _ request: Request,
        context: RequestContext
    ) throws -> AuthenticationResult<ClientCertificateIdentity>? {
        self.observedAnswer(for: context)
    }
}

extension ClientCertificateAuthenticator {
    /// ``authenticateImmediately(_:context:)`` for the benchmark package, which lives outside this package. Not for
    /// services. `nil` when the policy's OCSP responder must be asked first.
    @_spi(Benchmarks) public func authenticateOnFastPath(
        _ request: Request,
        context: RequestContext
    ) throws -> AuthenticationResult<ClientCertificateIdentity>? {
        self.answer(for: context)
    }
}
