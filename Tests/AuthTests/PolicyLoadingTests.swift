import Foundation
import GatehouseAuth
import GatehouseCertificates
import TestSupport
import Testing

@Suite("Loading a policy: files, relative paths and refused combinations")
struct PolicyLoadingTests {
    let pki: PolicyTestPKI
    init() throws { self.pki = try PolicyTestPKI.shared() }

    func loadError(_ configure: (inout PolicyConfiguration) -> Void) -> PolicyError? {
        var configuration = PolicyConfiguration()
        configuration.trustedCAs = [self.pki.base.rootCAFile]
        configure(&configuration)
        return #expect(throws: PolicyError.self) {
            try ClientCertificatePolicy.load(configuration, name: "partners", relativeTo: nil)
        }
    }

    @Test func relativePathsAndSourcePaths() throws {
        var configuration = PolicyConfiguration()
        configuration.trustedCAs = [(self.pki.base.rootCAFile as NSString).lastPathComponent]
        configuration.crls = ["policy/intermediate.crl"]
        configuration.certificates = ["policy/allow-list"]
        let policy = try ClientCertificatePolicy.load(configuration, name: "p", relativeTo: self.pki.base.directory)
        #expect(policy.sourcePaths.contains(self.pki.base.rootCAFile))
        #expect(policy.sourcePaths.contains(self.pki.allowListDirectory))
        #expect(policy.sourcePaths.contains { $0.hasSuffix("allow-list/self-signed-client.crt") })
        #expect(policy.sourcePaths.contains(self.pki.intermediateCRLFile))
    }

    @Test func aMissingFileIsNamedWithItsKey() {
        let error = self.loadError { $0.trustedCAs.append("/nonexistent/ca.crt") }
        #expect(error?.code == .unreadableFile)
        #expect(error?.key == "policies.partners.trustedCAs[1]")
        #expect(error?.file == "/nonexistent/ca.crt")
        #expect(error?.description.contains("policy 'partners'") == true)
    }

    @Test func aFileThatIsNotACertificateOrCRL() {
        #expect(self.loadError { $0.trustedCAs = [self.pki.base.client.keyFile] }?.code == .invalidFile)
        #expect(self.loadError { $0.crls = [self.pki.base.rootCAFile] }?.key == "policies.partners.crls[0]")
    }

    @Test func aFileThatIsNotACertificateReadsLikeTheOtherConfigurationErrors() throws {
        let keyFile = self.pki.base.client.keyFile
        let error = try #require(self.loadError { $0.trustedCAs = [keyFile] })
        #expect(error.detail == "not a certificate: \(keyFile): no certificate found")
        #expect(!error.description.contains("noCertificate"))
        let crlError = try #require(self.loadError { $0.crls = [keyFile] })
        #expect(crlError.detail.hasPrefix("not a CRL: \(keyFile)"))
        #expect(!crlError.description.contains("noCertificate"))
    }

    @Test func trustOffWithNothingPinnedNeedsAllowInsecure() throws {
        #expect(self.loadError { $0.validateTrust = false }?.code == .insecure)
        #expect(
            self.loadError {
                $0.validateTrust = false
                $0.identities = [identity { $0.subject = "CN=client" }]
            }?.code == .insecure
        )
        var configuration = PolicyConfiguration()
        configuration.validateTrust = false
        configuration.allowInsecure = true
        let policy = try ClientCertificatePolicy.load(configuration, name: "open", relativeTo: nil)
        #expect(try reasons(policy, self.pki.base.strangerClient.chain) == [])
    }

    @Test func trustOnWithoutCAsOrPins() {
        #expect(self.loadError { $0.trustedCAs = [] }?.key == "policies.partners.trustedCAs")
    }

    @Test func malformedValuesAndEmptyIdentities() {
        #expect(self.loadError { $0.identities = [IdentityConfiguration()] }?.code == .emptyIdentity)
        #expect(
            self.loadError { $0.identities = [identity { $0.thumbprint = "ABC" }] }?.key
                == "policies.partners.identities[0].thumbprint"
        )
        #expect(self.loadError { $0.identities = [identity { $0.spki = "not base64!" }] }?.code == .invalidValue)
        #expect(self.loadError { $0.identities = [identity { $0.ipAddress = "10.0.0.300" }] }?.code == .invalidValue)
        #expect(self.loadError { $0.identities = [identity { $0.subject = "CN" }] }?.code == .invalidValue)
        #expect(self.loadError { $0.identities = [identity { $0.serialNumber = "xyz" }] }?.code == .invalidValue)
        #expect(self.loadError { $0.validateRevocation = true }?.key == "policies.partners.crls")
        #expect(self.loadError { $0.maxChainDepth = -1 }?.code == .invalidValue)
    }

    @Test func distinguishedNamesCompareStructurally() throws {
        let a = try DistinguishedName(parsing: "CN=client-a, O=Contoso")
        #expect(a == (try DistinguishedName(parsing: "cn=client-a,o=Contoso")))
        #expect(a == (try DistinguishedName(parsing: "commonName=client-a;  2.5.4.10 = Contoso")))
        #expect(a != (try DistinguishedName(parsing: "CN=Client-A, O=Contoso")))
        #expect(a != (try DistinguishedName(parsing: "O=Contoso, CN=client-a")))
        #expect(
            (try DistinguishedName(parsing: #"CN=a\, b+OU=x,O=C"#))
                == (try DistinguishedName(parsing: #"OU=x+CN=a\2C b,O=C"#))
        )
        #expect(a.description == "CN=client-a,O=Contoso")
        #expect(throws: CertificateError.self) { try DistinguishedName(parsing: "XYZ=1") }
        // An OpenSSL name without an OID (an algorithm) is not an attribute type.
        #expect(throws: CertificateError.self) { try DistinguishedName(parsing: "HMAC=1") }
    }
}
