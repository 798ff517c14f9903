public import Certificates
public import Logging
public import Transport

/// Accepts a caller whose client certificate chain verifies to the configured CAs.
///
/// The decision is made once per connection and reused by every request and HTTP/2 stream on it.
/// A failure ends the request with 403 `Invalid client certificate` (``ClientCertificateRejection``),
/// logged with its reason, the certificate's subject and SHA-256 thumbprint.
///
/// ```swift
/// let authenticator = try ClientCertificateAuthenticator(trustedCAFiles: ["pki/ca.crt"], logger: logger)
/// try routes.add("/api/hello", function: Hello(), middleware: [AuthenticationMiddleware(authenticator)])
/// ```
public struct ClientCertificateAuthenticator: Authenticator {
    public typealias Identity = ClientCertificateIdentity

    private let trustStore: TrustStore
    private let logger: Logger
    private let exposeFailureReason: Bool
    /// Distinguishes this authenticator's decisions from others' in the connection store.
    private let cacheToken = CacheToken()

    /// Trusts the CA certificates in `trustedCAFiles` (PEM files or directories of them).
    ///
    /// Reads and parses the files: call at startup, never on an event loop.
    /// - Throws: ``CertificateError`` naming the file that could not be read.
    public init(trustedCAFiles: [String], exposeFailureReason: Bool = false, logger: Logger) throws {
        self.init(
            trustStore: try TrustStore(caFiles: trustedCAFiles),
            exposeFailureReason: exposeFailureReason,
            logger: logger
        )
    }

    /// Trusts the CAs in `trustStore`.
    public init(trustStore: TrustStore, exposeFailureReason: Bool = false, logger: Logger) {
        self.trustStore = trustStore
        self.exposeFailureReason = exposeFailureReason
        self.logger = logger
    }

    public func authenticate(_ request: Request, context: RequestContext) async throws -> ClientCertificateIdentity? {
        let key = ObjectIdentifier(self.cacheToken)
        if let decision = context.connectionStore[ClientCertificateDecisions.self]?[key] {
            return try decision.get()
        }
        let decision = self.evaluate(context.connection.tls)
        var decisions = context.connectionStore[ClientCertificateDecisions.self] ?? [:]
        decisions[key] = decision
        context.connectionStore[ClientCertificateDecisions.self] = decisions
        if case .failure(let rejection) = decision {
            self.logger.warning(
                "client certificate rejected",
                metadata: [
                    "reason": "\(rejection.reason)", "detail": "\(rejection.detail)",
                    "connection": "\(context.connection.id)",
                ]
            )
        }
        return try decision.get()
    }

    /// Checks the connection's peer chain against the trust store.
    func evaluate(_ tls: TLSSessionInfo) -> Result<ClientCertificateIdentity, ClientCertificateRejection> {
        guard let leaf = tls.peerCertificate else {
            return .failure(self.rejection(.noCertificate, "the client sent no certificate"))
        }
        let result = self.trustStore.verify(chain: tls.peerCertificates)
        guard result.isOK else {
            let reason: ClientCertificateRejection.Reason =
                result.isExpired ? .expired : result.isNotYetValid ? .notYetValid : .untrusted
            let detail = "\(result) (subject \(leaf.subject), sha256 \(leaf.sha256.hexString))"
            return .failure(self.rejection(reason, detail))
        }
        return .success(ClientCertificateIdentity(certificate: leaf, presentedChain: tls.peerCertificates))
    }

    private func rejection(_ reason: ClientCertificateRejection.Reason, _ detail: String) -> ClientCertificateRejection {
        ClientCertificateRejection(reason, detail: detail, exposesDetail: self.exposeFailureReason)
    }
}

/// Per-connection decisions of every client-certificate authenticator, by authenticator.
enum ClientCertificateDecisions: ConnectionStoreKey {
    typealias Value = [ObjectIdentifier: Result<ClientCertificateIdentity, ClientCertificateRejection>]
}

/// An object whose identity names one authenticator instance.
final class CacheToken: Sendable {}
