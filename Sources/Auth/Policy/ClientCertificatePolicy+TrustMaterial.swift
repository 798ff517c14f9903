public import GatehouseCertificates

extension ClientCertificatePolicy {
    /// The CA certificates loaded from `trustedCAs` (each once), for reports of what the policy trusts.
    public var trustedCACertificates: [Certificate] { self.trustStore.certificates }
    /// The certificates loaded from `intermediates`.
    public var intermediateCertificates: [Certificate] { self.intermediates }
    /// The CRLs loaded from `crls`.
    public var revocationLists: [CertificateRevocationList] { self.crls }
    /// The certificates loaded from `certificates` (the allow-list); empty when none is configured.
    public var allowListedCertificates: [Certificate] { self.allowList?.listed ?? [] }
}
