import GatehouseCertificates

/// An immutable, loaded client-certificate policy: every file read, every value parsed.
///
/// Built from a ``PolicyConfiguration`` by ``load(_:name:relativeTo:)``; a reload builds a new one and swaps
/// it into a ``PolicyHandle``. Evaluating it (``evaluate(chain:at:)``) reads no file and no clock.
public struct ClientCertificatePolicy: Sendable {
    /// The policy's name (the key under `policies:`), for logs and errors.
    public let name: String
    /// The configuration it was built from.
    public let configuration: PolicyConfiguration
    /// Every file and directory the policy read (resolved paths), for a reloader to watch.
    public let sourcePaths: [String]

    let trustStore: TrustStore
    let intermediates: [Certificate]
    let crls: [CertificateRevocationList]
    /// `nil` when `certificates` is not configured.
    let allowList: AllowList?
    let identities: IdentityIndex
    /// The verified-chain cache this policy verifies through: the server's one cache, or its own when the policy
    /// was built alone.
    let verifiedChains: VerifiedChainCache
    /// The generation of this policy's trust material (trusted CAs, intermediates, CRLs when revocation is
    /// checked, the purpose): a policy or listener with the same material shares its verifications.
    let trustGeneration: TrustGeneration
    /// The online revocation check; `nil` when the policy has no `ocsp`.
    let ocsp: OCSPChecker?

    /// `enforce` or `report`.
    public var mode: PolicyMode { self.configuration.mode }
    /// Whether the reason goes into the 403 body.
    public var exposeFailureReason: Bool { self.configuration.exposeFailureReason }

    init(
        name: String,
        configuration: PolicyConfiguration,
        sourcePaths: [String],
        trustedCAs: [Certificate],
        intermediates: [Certificate],
        crls: [CertificateRevocationList],
        allowList: AllowList?,
        identities: [IdentityRule],
        verifiedChains: VerifiedChainCache,
        ocspCache: OCSPStatusCache? = nil
    ) {
        self.name = name
        self.configuration = configuration
        self.sourcePaths = sourcePaths
        self.trustStore = TrustStore(certificates: trustedCAs)
        self.intermediates = intermediates
        self.crls = crls
        self.allowList = allowList
        self.identities = IdentityIndex(identities)
        self.verifiedChains = verifiedChains
        self.trustGeneration = TrustGeneration.of(
            trustedCAs: self.trustStore.certificates,
            intermediates: intermediates,
            crls: crls,
            purpose: configuration.requireClientAuthEKU ? .clientAuth : .any,
            revocation: configuration.revocationCheck
        )
        let trustStore = self.trustStore
        let trustGeneration = self.trustGeneration
        self.ocsp = configuration.ocsp.map { ocsp in
            OCSPChecker(
                configuration: ocsp,
                responder: ocsp.responder.flatMap(OCSPResponderURL.init),
                cache: ocspCache ?? OCSPStatusCache(capacity: ocsp.cacheSize),
                trustStore: trustStore,
                generation: trustGeneration
            )
        }
    }
}
