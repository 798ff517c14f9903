import Foundation
import GatehouseAuth
import GatehouseCertificates
import TestSupport
import Testing

@Suite("Identities: each field matches and mismatches")
struct PolicyIdentityTests {
    let pki: PolicyTestPKI
    init() throws { self.pki = try PolicyTestPKI.shared() }
    var leaf: Certificate { self.pki.sanClient.certificate }

    func check(
        _ match: IdentityConfiguration,
        _ mismatch: IdentityConfiguration,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let chain = self.pki.sanClient.chain
        #expect(try reasons(makePolicy { c, _ in c.identities = [match] }, chain) == [], sourceLocation: sourceLocation)
        #expect(
            try reasons(makePolicy { c, _ in c.identities = [mismatch] }, chain) == [.noIdentityMatched],
            sourceLocation: sourceLocation
        )
    }

    @Test func thumbprintSHA1AndSHA256WithAnySpelling() throws {
        let sha1 = self.leaf.sha1.hexString.lowercased()
        let spaced = self.leaf.sha256.map { String(format: "%02X", $0) }.joined(separator: ":")
        try self.check(
            identity { $0.thumbprint = sha1 },
            identity { $0.thumbprint = String(repeating: "AB", count: 20) }
        )
        try self.check(
            identity { $0.thumbprint = spaced },
            identity { $0.thumbprint = String(repeating: "ab ", count: 32) }
        )
    }

    @Test func serialNumber() throws {
        let serial = "00:" + self.leaf.serialNumberHex.lowercased()
        try self.check(identity { $0.serialNumber = serial }, identity { $0.serialNumber = "01" })
    }

    @Test func commonNameAndSubjectAsAName() throws {
        try self.check(identity { $0.commonName = "san-client" }, identity { $0.commonName = "San-Client" })
        try self.check(
            identity { $0.subject = "cn = san-client ,O=Gatehouse  Tests" },
            identity { $0.subject = "CN=san-client,O=Gatehouse Tests,C=DE" }
        )
    }

    @Test func subjectAlternativeNames() throws {
        try self.check(identity { $0.dnsName = "CLIENT.example." }, identity { $0.dnsName = "other.example" })
        try self.check(
            identity { $0.uri = "spiffe://example.org/client" },
            identity { $0.uri = "spiffe://example.org/CLIENT" }
        )
        try self.check(identity { $0.email = "client@EXAMPLE.org" }, identity { $0.email = "Client@example.org" })
        try self.check(identity { $0.ipAddress = "10.0.0.7" }, identity { $0.ipAddress = "::ffff:10.0.0.8" })
    }

    @Test func issuerSubjectAndIssuerThumbprint() throws {
        let issuer = self.pki.base.intermediateCA
        try self.check(
            identity { $0.issuerSubject = "CN=Gatehouse Test Intermediate CA, O=Gatehouse Tests" },
            identity { $0.issuerSubject = "CN=Gatehouse Test Root CA, O=Gatehouse Tests" }
        )
        try self.check(
            identity { $0.issuerThumbprint = issuer.sha256.hexString },
            identity { $0.issuerThumbprint = self.pki.base.rootCA.sha256.hexString }
        )
    }

    @Test func spkiInHexOrBase64() throws {
        let base64 = Data(self.leaf.spkiSHA256).base64EncodedString()
        try self.check(
            identity { $0.spki = base64 },
            identity { $0.spki = self.pki.base.client.certificate.spkiSHA256.hexString }
        )
        try self.check(
            identity { $0.spki = self.leaf.spkiSHA256.hexString },
            identity { $0.spki = String(repeating: "0", count: 64) }
        )
    }

    @Test func allFieldsOfAnIdentityMustMatchAndAnyIdentityWillDo() throws {
        let both = identity {
            $0.commonName = "san-client"
            $0.dnsName = "wrong.example"
        }
        let policy = try makePolicy { c, _ in
            c.identities = [both, identity { $0.uri = "spiffe://example.org/client" }]
        }
        let decision = policy.evaluate(chain: self.pki.sanClient.chain, at: self.pki.base.referenceTime)
        #expect(decision.identity?.matchedIdentity?.index == 1)
        #expect(
            try reasons(makePolicy { c, _ in c.identities = [both] }, self.pki.sanClient.chain) == [.noIdentityMatched]
        )
    }

    @Test func tenThousandIdentitiesAreLookedUpByHash() throws {
        var identities = (0..<10_000).map { index in
            identity { $0.thumbprint = String(format: "%064X", index + 1) }
        }
        identities += (0..<100).map { index in identity { $0.serialNumber = String(format: "%X", index + 0xABCDEF) } }
        identities.append(identity { $0.thumbprint = self.leaf.sha256.hexString })
        let policy = try makePolicy { c, _ in c.identities = identities }
        let decision = policy.evaluate(chain: self.pki.sanClient.chain, at: self.pki.base.referenceTime)
        #expect(decision.identity?.matchedIdentity?.index == 10_100)
        #expect(try reasons(policy, self.pki.base.client.chain) == [.noIdentityMatched])
    }
}
