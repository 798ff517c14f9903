import Foundation
import GatehouseCertificateAuthority
import GatehouseCertificates
import Testing

@Suite struct DevelopmentPKITests {
    @Test func writesFilesWithPrivateModesAndReloads() throws {
        let directory = try makeTemporaryDirectory() + "/pki"
        let created = try DevelopmentPKI.loadOrCreate(in: directory, clientName: "alice")
        #expect(created.wasCreated)
        #expect(created.clientCertificate.commonName == "alice")
        #expect(
            created.serverCertificate.subjectAlternativeNames
                == [.dnsName("localhost"), .ipAddress("127.0.0.1"), .ipAddress("::1")]
        )

        func mode(_ path: String) throws -> Int {
            try (FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
        }
        #expect(try mode(directory) == 0o700)
        for file in ["ca.key", "server.key", "client.key", "client.pfx.password"] {
            #expect(try mode(directory + "/" + file) == 0o600, "\(file)")
        }
        let store = try TrustStore(caFiles: [created.caCertificateFile])
        #expect(store.verify(chain: [created.clientCertificate]).isOK)
        #expect(store.verify(chain: [created.serverCertificate], purpose: .serverAuth).isOK)
        let bundle = try PKCS12Bundle.load(file: created.clientPFXFile, password: created.pfxPassword)
        #expect(bundle.certificate == created.clientCertificate)

        let loaded = try DevelopmentPKI.loadOrCreate(in: directory, clientName: "alice")
        #expect(!loaded.wasCreated)
        #expect(loaded.clientCertificate == created.clientCertificate)
        #expect(loaded.pfxPassword == created.pfxPassword)

        let forced = try DevelopmentPKI.loadOrCreate(in: directory, force: true)
        #expect(forced.wasCreated)
        #expect(forced.caCertificate != created.caCertificate)
    }

    @Test func givenPasswordIsUsedAndNotStored() throws {
        let directory = try makeTemporaryDirectory() + "/pki"
        let pki = try DevelopmentPKI.loadOrCreate(in: directory, pfxPassword: "secret", keyType: .rsa(bits: 2048))
        #expect(!FileManager.default.fileExists(atPath: pki.clientPFXPasswordFile))
        let result = try runOpenSSL(["pkcs12", "-in", pki.clientPFXFile, "-passin", "pass:secret", "-noout"])
        #expect(result.status == 0, "\(result.output)")
    }
}
