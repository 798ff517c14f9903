import GatehouseCertificates

extension ClientCertificatePolicy {
    /// Parses one configured identity's values.
    static func parseIdentity(_ identity: IdentityConfiguration, key: String, policy: String) throws -> IdentityRule {
        func invalid(_ field: String, _ what: String) -> PolicyError {
            PolicyError(.invalidValue, policy: policy, key: "\(key).\(field)", detail: what)
        }
        func name(_ text: String?, _ field: String) throws -> DistinguishedName? {
            guard let text else { return nil }
            do { return try DistinguishedName(parsing: text) } catch { throw invalid(field, "\(error)") }
        }
        var rule = IdentityRule()
        if let text = identity.thumbprint {
            guard let bytes = PolicyValueParsing.thumbprint(text) else {
                throw invalid("thumbprint", "'\(text)' is not a SHA-1 (40 hex digits) or SHA-256 (64) thumbprint")
            }
            rule.thumbprint = bytes
        }
        if let text = identity.issuerThumbprint {
            guard let bytes = PolicyValueParsing.thumbprint(text) else {
                throw invalid("issuerThumbprint", "'\(text)' is not a SHA-1 or SHA-256 thumbprint")
            }
            rule.issuerThumbprint = bytes
        }
        if let text = identity.spki {
            guard let bytes = PolicyValueParsing.spkiHash(text) else {
                throw invalid("spki", "'\(text)' is not a SHA-256 (64 hex digits or base64 of 32 bytes)")
            }
            rule.spki = bytes
        }
        if let text = identity.serialNumber {
            guard let serial = PolicyValueParsing.serialNumber(text) else {
                throw invalid("serialNumber", "'\(text)' is not a hex serial number")
            }
            rule.serialNumber = serial
        }
        if let text = identity.ipAddress {
            guard let bytes = PolicyValueParsing.ipAddress(text) else {
                throw invalid("ipAddress", "'\(text)' is not an IPv4 or IPv6 address")
            }
            rule.ipAddress = bytes
        }
        rule.subject = try name(identity.subject, "subject")
        rule.issuerSubject = try name(identity.issuerSubject, "issuerSubject")
        rule.commonName = identity.commonName
        rule.dnsName = identity.dnsName.map(PolicyValueParsing.dnsName)
        rule.uri = identity.uri
        rule.email = identity.email.map(PolicyValueParsing.email)
        guard identity != IdentityConfiguration() else {
            throw PolicyError(
                .emptyIdentity,
                policy: policy,
                key: key,
                detail: "an identity needs at least one field; an empty one would match everyone"
            )
        }
        return rule
    }
}
