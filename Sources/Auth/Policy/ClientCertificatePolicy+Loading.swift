package import GatehouseCertificates

extension ClientCertificatePolicy {
    /// Builds a policy from its configuration, reading every file it names.
    ///
    /// Expensive: reads and parses every CA, intermediate, CRL and allow-listed certificate. Call at startup or
    /// on reload, never on an event loop. Directories are read one level deep (`.pem`, `.crt`, `.cer`, `.der`
    /// for certificates; `.crl`, `.pem`, `.der` for CRLs); a configured but empty allow-list directory admits
    /// nobody.
    ///
    /// Refuses dangerous combinations: `validateTrust: false` with nothing pinned (no `certificates` compared
    /// by certificate or key, and not every identity a thumbprint or SPKI) unless `allowInsecure: true`;
    /// `validateTrust` with no `trustedCAs` and no exact-certificate allow-list; `validateRevocation` with no
    /// `crls`; an identity with no field set; malformed thumbprints, SPKI hashes, serials, IPs and names.
    ///
    /// ```swift
    /// var configuration = PolicyConfiguration()
    /// configuration.trustedCAs = ["pki/ca.crt"]
    /// let policy = try ClientCertificatePolicy.load(configuration, name: "partners", relativeTo: "/etc/gatehouse")
    /// ```
    /// - Parameters:
    ///   - configuration: the policy as written in the configuration file.
    ///   - name: the policy's key under `policies:`, used in errors and logs.
    ///   - baseDirectory: what relative paths are relative to (the configuration file's directory); `nil`
    ///     leaves them relative to the working directory.
    /// - Throws: ``PolicyError`` naming the policy, the key, the file and what is wrong.
    public static func load(
        _ configuration: PolicyConfiguration,
        name: String,
        relativeTo baseDirectory: String?
    ) throws -> ClientCertificatePolicy {
        try load(configuration, name: name, relativeTo: baseDirectory, verifiedChains: VerifiedChainCache())
    }

    /// Builds a policy, as ``load(_:name:relativeTo:)``, that verifies through `verifiedChains`: the server's one
    /// cache, shared with its listeners and other policies. With `ocspCaches`, an `ocsp` check keeps its statuses in
    /// the policy's cache there (which outlives reloads); otherwise in a new one.
    /// - Throws: ``PolicyError`` naming the policy, the key, the file and what is wrong.
    package static func load(
        _ configuration: PolicyConfiguration,
        name: String,
        relativeTo baseDirectory: String?,
        verifiedChains: VerifiedChainCache,
        ocspCaches: OCSPStatusCaches? = nil
    ) throws -> ClientCertificatePolicy {
        var files = PolicyFiles(policy: name, baseDirectory: baseDirectory)
        let rules = try configuration.identities.enumerated().map { index, identity in
            try parseIdentity(identity, key: "policies.\(name).identities[\(index)]", policy: name)
        }
        try checkCombinations(configuration, rules: rules, name: name)
        let trustedCAs = try files.certificates(configuration.trustedCAs, key: "trustedCAs")
        let intermediates = try files.certificates(configuration.intermediates, key: "intermediates")
        let crls = try files.crls(configuration.crls, key: "crls")
        let allowList =
            configuration.certificates.isEmpty
            ? nil
            : AllowList(
                try files.certificates(configuration.certificates, key: "certificates"),
                match: configuration.allowListMatch
            )
        return ClientCertificatePolicy(
            name: name,
            configuration: configuration,
            sourcePaths: files.sourcePaths,
            trustedCAs: trustedCAs,
            intermediates: intermediates,
            crls: crls,
            allowList: allowList,
            identities: rules,
            verifiedChains: verifiedChains,
            ocspCache: configuration.ocsp.flatMap { ocsp in ocspCaches?.cache(for: name, capacity: ocsp.cacheSize) }
        )
    }

    /// A policy trusting `trustedCAFiles` with every other setting at its default.
    /// - Throws: ``PolicyError`` naming the file that could not be read.
    public static func trusting(
        _ trustedCAFiles: [String],
        exposeFailureReason: Bool = false,
        name: String = "default"
    ) throws -> ClientCertificatePolicy {
        var configuration = PolicyConfiguration()
        configuration.trustedCAs = trustedCAFiles
        configuration.exposeFailureReason = exposeFailureReason
        return try load(configuration, name: name, relativeTo: nil)
    }

    private static func checkCombinations(_ configuration: PolicyConfiguration, rules: [IdentityRule], name: String)
        throws
    {
        let prefix = "policies.\(name)"
        let pinsByAllowList = !configuration.certificates.isEmpty && configuration.allowListMatch != .subject
        let pinsByIdentity = !rules.isEmpty && rules.allSatisfy(\.pinsCertificateOrKey)
        if !configuration.validateTrust, !pinsByAllowList, !pinsByIdentity, !configuration.allowInsecure {
            throw PolicyError(
                .insecure,
                policy: name,
                key: "\(prefix).validateTrust",
                detail: "validateTrust is false and nothing is pinned: anyone could mint a passing certificate; "
                    + "list `certificates`, use thumbprint or spki identities, or set allowInsecure: true"
            )
        }
        let exactAllowList = !configuration.certificates.isEmpty && configuration.allowListMatch == .certificate
        if configuration.validateTrust, configuration.trustedCAs.isEmpty, !exactAllowList {
            throw PolicyError(
                .insecure,
                policy: name,
                key: "\(prefix).trustedCAs",
                detail: "validateTrust is on but no trusted CA is configured and no certificate is pinned"
            )
        }
        if configuration.validateRevocation, configuration.crls.isEmpty {
            throw PolicyError(
                .invalidValue,
                policy: name,
                key: "\(prefix).crls",
                detail: "validateRevocation is on but no CRL is configured"
            )
        }
        if let ocsp = configuration.ocsp {
            try checkOCSP(ocsp, validatesTrust: configuration.validateTrust, name: name)
        }
        if configuration.maxChainDepth < 0 {
            throw PolicyError(
                .invalidValue,
                policy: name,
                key: "\(prefix).maxChainDepth",
                detail: "must be 0 or more, not \(configuration.maxChainDepth)"
            )
        }
    }

    private static func checkOCSP(_ ocsp: OCSPConfiguration, validatesTrust: Bool, name: String) throws {
        let prefix = "policies.\(name).ocsp"
        if !validatesTrust {
            throw PolicyError(
                .invalidValue,
                policy: name,
                key: prefix,
                detail: "ocsp needs validateTrust: the request names the leaf's issuer from the verified chain"
            )
        }
        if let responder = ocsp.responder, OCSPResponderURL(responder) == nil {
            throw PolicyError(
                .invalidValue,
                policy: name,
                key: "\(prefix).responder",
                detail: "'\(responder)' is not an http:// URL with a host"
            )
        }
        if ocsp.timeout <= .zero {
            throw PolicyError(.invalidValue, policy: name, key: "\(prefix).timeout", detail: "must be more than 0")
        }
        if !(1...1_000_000).contains(ocsp.cacheSize) {
            throw PolicyError(
                .invalidValue,
                policy: name,
                key: "\(prefix).cacheSize",
                detail: "must be between 1 and 1000000, not \(ocsp.cacheSize)"
            )
        }
    }
}
