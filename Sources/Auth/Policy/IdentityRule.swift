import GatehouseCertificates

/// One configured identity with its values parsed once: every field that is set must match.
struct IdentityRule: Sendable {
    var thumbprint: [UInt8]?
    var serialNumber: String?
    var commonName: String?
    var subject: DistinguishedName?
    var dnsName: String?
    var uri: String?
    var email: String?
    var ipAddress: [UInt8]?
    var issuerSubject: DistinguishedName?
    var issuerThumbprint: [UInt8]?
    var spki: [UInt8]?

    /// Whether every field that is set matches `leaf` (issued by `issuer`, when the chain verified).
    func matches(_ leaf: CertificateFacts, issuer: Certificate?) -> Bool {
        if let thumbprint, thumbprint != (thumbprint.count == 20 ? leaf.sha1 : leaf.sha256) { return false }
        if let serialNumber, serialNumber != leaf.serialNumber { return false }
        if let commonName, commonName != leaf.commonName { return false }
        if let subject, subject != leaf.subject { return false }
        if let dnsName, !leaf.dnsNames.contains(dnsName) { return false }
        if let uri, !leaf.uris.contains(uri) { return false }
        if let email, !leaf.emails.contains(email) { return false }
        if let ipAddress, !leaf.ipAddresses.contains(ipAddress) { return false }
        if let issuerSubject, issuerSubject != leaf.issuer { return false }
        if let spki, spki != leaf.spki { return false }
        if let issuerThumbprint {
            // Only a verified issuer counts: with no verified chain this field cannot match (fail closed).
            guard let issuer else { return false }
            let actual = issuerThumbprint.count == 20 ? issuer.sha1 : issuer.sha256
            if actual != issuerThumbprint { return false }
        }
        return true
    }

    /// Whether the rule pins a certificate or key (safe without trust validation).
    var pinsCertificateOrKey: Bool { self.thumbprint != nil || self.spki != nil }
}

/// The configured identities with hash indexes, so a lookup costs the same for ten or ten thousand.
///
/// Each rule is indexed under one key it requires (thumbprint, else SPKI, else serial number); a rule with
/// none of those is checked on every evaluation. The first matching rule in configuration order wins.
struct IdentityIndex: Sendable {
    let rules: [IdentityRule]
    private var byThumbprint: [[UInt8]: [Int]] = [:]
    private var bySPKI: [[UInt8]: [Int]] = [:]
    private var bySerial: [String: [Int]] = [:]
    private var unindexed: [Int] = []

    init(_ rules: [IdentityRule]) {
        self.rules = rules
        for (index, rule) in rules.enumerated() {
            if let thumbprint = rule.thumbprint {
                self.byThumbprint[thumbprint, default: []].append(index)
            } else if let spki = rule.spki {
                self.bySPKI[spki, default: []].append(index)
            } else if let serial = rule.serialNumber {
                self.bySerial[serial, default: []].append(index)
            } else {
                self.unindexed.append(index)
            }
        }
    }

    var isEmpty: Bool { self.rules.isEmpty }

    /// The index of the first rule `leaf` matches, or `nil`.
    func firstMatch(_ leaf: CertificateFacts, issuer: Certificate?) -> Int? {
        var candidates = self.unindexed
        candidates += self.byThumbprint[leaf.sha1] ?? []
        candidates += self.byThumbprint[leaf.sha256] ?? []
        candidates += self.bySPKI[leaf.spki] ?? []
        candidates += self.bySerial[leaf.serialNumber] ?? []
        return candidates.sorted().first { self.rules[$0].matches(leaf, issuer: issuer) }
    }
}
