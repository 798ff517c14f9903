import Foundation
import GatehouseCertificates
import Synchronization

/// A policy's OCSP check: which responder to ask about a certificate, the cached statuses, and the one request in
/// flight per certificate.
///
/// Asking never blocks the caller's event loop: ``resolve(_:at:)`` awaits a task that does the exchange (on NIO's
/// shared group) and verifies the response off the loop. Concurrent askers about one certificate share that task.
final class OCSPChecker: Sendable {
    let configuration: OCSPConfiguration
    /// The configured responder; `nil` to use the leaf's Authority Information Access.
    private let responder: OCSPResponderURL?
    let cache: OCSPStatusCache
    private let trustStore: TrustStore
    private let generation: TrustGeneration
    private let fetcher: OCSPFetcher
    private let inFlight = Mutex<[OCSPStatusCache.Key: Task<OCSPStatusCache.Entry, Never>]>([:])
    /// Limits the soft-failure warnings to one a minute for the policy.
    let softFailureWarnings = RateLimitedWarning(interval: 60)

    init(
        configuration: OCSPConfiguration,
        responder: OCSPResponderURL?,
        cache: OCSPStatusCache,
        trustStore: TrustStore,
        generation: TrustGeneration,
        fetcher: OCSPFetcher = OCSPFetcher()
    ) {
        self.configuration = configuration
        self.responder = responder
        self.cache = cache
        self.trustStore = trustStore
        self.generation = generation
        self.fetcher = fetcher
    }

    /// What must be done to learn an accepted identity's status.
    private enum Lookup {
        /// Ask (or find in the cache) `url` about the leaf, issued by `issuer`.
        case ask(OCSPStatusCache.Key, url: OCSPResponderURL, issuer: Certificate)
        /// No responder can be asked: the status is unknown.
        case impossible(OCSPError)
    }

    private func lookup(for identity: ClientCertificateIdentity) -> Lookup {
        let leaf = identity.certificate
        let chain = identity.verifiedChain
        guard chain.count > 1 else {
            return .impossible(OCSPError(.noIssuer, "the verified chain has no issuer for the leaf (pinned?)"))
        }
        guard let url = self.responder ?? leaf.ocspResponderURLs.lazy.compactMap(OCSPResponderURL.init).first else {
            return .impossible(OCSPError(.noResponder, "no responder configured and no http:// OCSP URL in the AIA"))
        }
        let key = OCSPStatusCache.Key(leafSHA256: leaf.sha256, responder: url.description, generation: self.generation)
        return .ask(key, url: url, issuer: chain[1])
    }

    /// The status of `identity` when it is known without asking at `now`: cached, or impossible to ask for;
    /// `nil` when the responder must be asked (``resolve(_:at:)``).
    func knownEntry(for identity: ClientCertificateIdentity, at now: Date) -> OCSPStatusCache.Entry? {
        switch self.lookup(for: identity) {
        case .impossible(let error): OCSPStatusCache.Entry(outcome: .failed(error), validUntil: .distantFuture)
        case .ask(let key, _, _): self.cache.entry(for: key, at: now)
        }
    }

    /// The status of `identity`: cached, or asked of the responder by a request that concurrent callers about the
    /// same certificate share, then cached.
    func resolve(_ identity: ClientCertificateIdentity, at now: Date) async -> OCSPStatusCache.Entry {
        let (key, url, issuer): (OCSPStatusCache.Key, OCSPResponderURL, Certificate)
        switch self.lookup(for: identity) {
        case .impossible(let error): return OCSPStatusCache.Entry(outcome: .failed(error), validUntil: .distantFuture)
        case .ask(let found, let foundURL, let foundIssuer): (key, url, issuer) = (found, foundURL, foundIssuer)
        }
        if let entry = self.cache.entry(for: key, at: now) { return entry }
        let chain = identity.verifiedChain
        let task = self.inFlight.withLock { inFlight in
            if let task = inFlight[key] { return task }
            // Not cancelled by anyone: the exchange is bounded by the timeout, and its answer serves later askers.
            let task = Task {
                let outcome = await self.ask(url, leaf: identity.certificate, issuer: issuer, chain: chain)
                let entry = self.cache.store(outcome, for: key, at: Date())
                self.inFlight.withLock { $0[key] = nil }
                return entry
            }
            inFlight[key] = task
            return task
        }
        return await task.value
    }

    /// How many requests are waiting for a responder now.
    var requestsInFlight: Int { self.inFlight.withLock { $0.count } }

    private func ask(
        _ url: OCSPResponderURL,
        leaf: Certificate,
        issuer: Certificate,
        chain: [Certificate]
    ) async -> OCSPOutcome {
        do {
            let request = try OCSPRequest(leaf: leaf, issuer: issuer)
            let body = try await self.fetcher.fetch(request.derBytes, from: url, timeout: self.configuration.timeout)
            let answer = try request.verify(
                response: body,
                trustStore: self.trustStore,
                untrusted: Array(chain.dropFirst()),
                leeway: OCSPConfiguration.leeway
            )
            return .answered(answer)
        } catch let error as OCSPError {
            return .failed(error)
        } catch {
            return .failed(OCSPError(.badResponse, "\(url): \(error)"))
        }
    }
}
