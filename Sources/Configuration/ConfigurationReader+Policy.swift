import Foundation
import GatehouseAuth

extension ConfigurationReader {
    static let policyKeys: Set<String> = [
        "validateTrust", "validateNotBefore", "validateNotAfter", "validateRevocation",
        "validateRevocationForWholeChain", "trustedCAs", "intermediates", "crls", "certificates", "allowListMatch",
        "identities", "requireClientAuthEKU", "maxChainDepth", "mode", "allowInsecure", "exposeFailureReason",
        "ocsp",
    ]
    static let identityKeys: Set<String> = [
        "thumbprint", "serialNumber", "commonName", "subject", "dnsName", "uri", "email", "ipAddress",
        "issuerSubject", "issuerThumbprint", "spki",
    ]

    /// One entry of `policies`.
    func policy(name: String, node: ConfigNode) throws -> GatehouseConfiguration.NamedPolicy {
        let entries = try node.mapping(allowed: Self.policyKeys)
        var policy = PolicyConfiguration()
        func flag(_ key: String, _ value: inout Bool) throws {
            if let entry = entries[key] { value = try entry.bool() }
        }
        try flag("validateTrust", &policy.validateTrust)
        try flag("validateNotBefore", &policy.validateNotBefore)
        try flag("validateNotAfter", &policy.validateNotAfter)
        try flag("validateRevocation", &policy.validateRevocation)
        try flag("validateRevocationForWholeChain", &policy.validateRevocationForWholeChain)
        try flag("requireClientAuthEKU", &policy.requireClientAuthEKU)
        try flag("allowInsecure", &policy.allowInsecure)
        try flag("exposeFailureReason", &policy.exposeFailureReason)
        policy.trustedCAs = try self.existingPaths(entries["trustedCAs"])
        policy.intermediates = try self.existingPaths(entries["intermediates"])
        policy.crls = try self.existingPaths(entries["crls"])
        policy.certificates = try self.existingPaths(entries["certificates"])
        if let match = entries["allowListMatch"] { policy.allowListMatch = try match.choice(AllowListMatch.self) }
        if let mode = entries["mode"] { policy.mode = try mode.choice(PolicyMode.self) }
        if let depth = entries["maxChainDepth"] {
            policy.maxChainDepth = try depth.int()
            guard (0...16).contains(policy.maxChainDepth) else { throw depth.error("must be between 0 and 16") }
        }
        if let identities = entries["identities"] {
            policy.identities = try identities.sequence().map(self.identity)
        }
        if let ocsp = entries["ocsp"] { policy.ocsp = try self.ocsp(ocsp) }
        return GatehouseConfiguration.NamedPolicy(name: name, configuration: policy)
    }

    private func identity(_ node: ConfigNode) throws -> IdentityConfiguration {
        let entries = try node.mapping(allowed: Self.identityKeys)
        guard !entries.isEmpty else { throw node.error("an identity needs at least one field") }
        var identity = IdentityConfiguration()
        identity.thumbprint = try entries["thumbprint"]?.string()
        identity.serialNumber = try entries["serialNumber"]?.string()
        identity.commonName = try entries["commonName"]?.string()
        identity.subject = try entries["subject"]?.string()
        identity.dnsName = try entries["dnsName"]?.string()
        identity.uri = try entries["uri"]?.string()
        identity.email = try entries["email"]?.string()
        identity.ipAddress = try entries["ipAddress"]?.string()
        identity.issuerSubject = try entries["issuerSubject"]?.string()
        identity.issuerThumbprint = try entries["issuerThumbprint"]?.string()
        identity.spki = try entries["spki"]?.string()
        return identity
    }
}
