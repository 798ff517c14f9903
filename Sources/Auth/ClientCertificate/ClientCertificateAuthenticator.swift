import Certificates
public import Foundation
public import Logging
public import Transport

/// Accepts a caller whose client certificate passes a ``ClientCertificatePolicy``.
///
/// The decision is made once per connection, per authenticator and per policy generation, and reused by every
/// request and HTTP/2 stream on the connection (it lives in the connection's ``ConnectionStore``). When the
/// ``PolicyHandle``'s generation moves on (a reload), the next request re-evaluates. A failure ends the request
/// with 403 `Invalid client certificate` (``ClientCertificateRejection``), logged with every failed check, the
/// certificate's subject and SHA-256 thumbprint; in `report` mode it is logged and the request continues.
///
/// ```swift
/// let authenticator = try ClientCertificateAuthenticator(trustedCAFiles: ["pki/ca.crt"], logger: logger)
/// try routes.add("/api/hello", function: Hello(), middleware: [AuthenticationMiddleware(authenticator)])
/// ```
public struct ClientCertificateAuthenticator: Authenticator {
    public typealias Identity = ClientCertificateIdentity

    /// The policy this authenticator applies, swappable by a reload.
    public let policy: PolicyHandle
    private let logger: Logger
    private let now: @Sendable () -> Date
    /// Distinguishes this authenticator's decisions from others' in the connection store.
    private let cacheToken = CacheToken()

    /// Applies the policy in `policy`, reading it once per request.
    /// - Parameters:
    ///   - policy: the current policy; replace it on the handle to reload.
    ///   - logger: where rejections (and report-mode findings) are logged.
    ///   - now: the clock validity and CRLs are checked against.
    public init(policy: PolicyHandle, logger: Logger, now: @escaping @Sendable () -> Date = { Date() }) {
        self.policy = policy
        self.logger = logger
        self.now = now
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

    public func authenticate(_ request: Request, context: RequestContext) async throws -> ClientCertificateIdentity? {
        switch try await self.decide(request, context: context) {
        case .identified(let identity): identity
        case .admittedWithoutIdentity, .notAuthenticated: nil
        }
    }

    public func decide(
        _ request: Request,
        context: RequestContext
    ) async throws -> AuthenticationOutcome<ClientCertificateIdentity> {
        // One read per request: a request keeps the policy it started with even if a reload follows.
        let snapshot = self.policy.snapshot
        switch self.decision(for: context, snapshot: snapshot) {
        case .accepted(let identity):
            return .identified(identity)
        case .rejected(let rejection) where snapshot.policy.mode == .report:
            return rejection.unverifiedIdentity.map { .identified($0) } ?? .admittedWithoutIdentity
        case .rejected(let rejection):
            throw rejection.error(exposesDetail: snapshot.policy.exposeFailureReason)
        }
    }

    /// The connection's cached decision for this generation, or a new one (logged once).
    private func decision(for context: RequestContext, snapshot: PolicyHandle.Snapshot) -> PolicyDecision {
        let key = ObjectIdentifier(self.cacheToken)
        let decisions = context.connectionStore[ClientCertificateDecisions.self]
        if let cached = decisions?[key], cached.generation == snapshot.generation {
            return cached.decision
        }
        let policy = snapshot.policy
        let decision = policy.evaluate(chain: context.connection.tls.peerCertificates, at: self.now())
        var updated = decisions ?? [:]
        updated[key] = CachedDecision(generation: snapshot.generation, decision: decision)
        context.connectionStore[ClientCertificateDecisions.self] = updated
        if let rejection = decision.rejection { self.log(rejection, policy: policy, connection: context.connection.id) }
        return decision
    }

    private func log(_ rejection: PolicyRejection, policy: ClientCertificatePolicy, connection: UInt64) {
        let message: Logger.Message =
            policy.mode == .report ? "client certificate would be rejected (report mode)" : "client certificate rejected"
        self.logger.warning(
            message,
            metadata: [
                "policy": "\(policy.name)", "reason": "\(rejection.reason)",
                "reasons": "\(rejection.reasons.map(\.description).joined(separator: ","))",
                "subject": "\(rejection.subject ?? "-")", "sha256": "\(rejection.sha256Thumbprint ?? "-")",
                "detail": "\(rejection)", "connection": "\(connection)",
            ]
        )
    }
}

/// One authenticator's decision on one connection, with the policy generation it was made under.
struct CachedDecision: Sendable {
    let generation: UInt64
    let decision: PolicyDecision
}

/// Per-connection decisions of every client-certificate authenticator, by authenticator.
enum ClientCertificateDecisions: ConnectionStoreKey {
    typealias Value = [ObjectIdentifier: CachedDecision]
}

/// An object whose identity names one authenticator instance.
final class CacheToken: Sendable {}
