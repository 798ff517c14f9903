import Foundation
import GatehouseCertificates
import TestSupport
import Testing

@Suite struct PKCS12AndTrustTests {
    @Test func pfxOpensWithOpenSSLAndRoundTrips() throws {
        let pki = try TestPKI.shared()
        let result = try runOpenSSL([
            "pkcs12", "-in", pki.clientPFXFile, "-passin", "pass:\(pki.clientPFXPassword)",
            "-noout",
        ])
        #expect(result.status == 0, "\(result.output)")
        let bundle = try PKCS12Bundle.load(file: pki.clientPFXFile, password: pki.clientPFXPassword)
        #expect(bundle.certificate == pki.client.certificate)
        #expect(bundle.key.matches(pki.client.certificate))
        #expect(bundle.chain == [pki.intermediateCA])
    }

    @Test func wrongPFXPasswordIsReported() throws {
        let pki = try TestPKI.shared()
        let error = #expect(throws: CertificateError.self) {
            try PKCS12Bundle.load(file: pki.clientPFXFile, password: "wrong")
        }
        #expect(error?.code == .wrongPassword)
        #expect(error?.detail.contains(pki.clientPFXFile) == true)
    }

    @Test func trustStoreAcceptsGoodChains() throws {
        let pki = try TestPKI.shared()
        let store = try TrustStore(caFiles: [pki.rootCAFile])
        #expect(store.verify(chain: pki.client.chain, at: pki.referenceTime).isOK)
        #expect(store.verify(chain: pki.rootClient.chain).isOK)
        #expect(store.verify(chain: [pki.client.certificate], extraUntrusted: [pki.intermediateCA]).isOK)
        #expect(store.verify(chain: pki.server.chain, purpose: .serverAuth).isOK)
    }

    @Test func trustStoreReportsFailures() throws {
        let pki = try TestPKI.shared()
        let store = pki.makeTrustStore()
        let at = pki.referenceTime
        #expect(store.verify(chain: pki.expiredClient.chain, at: at).isExpired)
        #expect(store.verify(chain: pki.notYetValidClient.chain, at: at).isNotYetValid)
        #expect(
            store.verify(chain: pki.strangerClient.chain, at: at).code
                == CertificateVerifyResult(code: 20).code
        )  // X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY
        #expect(store.verify(chain: [pki.client.certificate], at: at).code == 20)
        #expect(store.verify(chain: pki.selfSignedClient.chain, at: at).code == 18)  // DEPTH_ZERO_SELF_SIGNED_CERT
        #expect(store.verify(chain: pki.serverEKUClient.chain, at: at).code == 26)  // INVALID_PURPOSE
        #expect(!store.verify(chain: []).isOK)
    }

    @Test func trustStoreReadsDirectories() throws {
        let pki = try TestPKI.shared()
        let directory = try makeTemporaryDirectory()
        try FileManager.default.copyItem(atPath: pki.rootCAFile, toPath: directory + "/root.pem")
        try FileManager.default.copyItem(atPath: pki.strangerCAFile, toPath: directory + "/stranger.crt")
        let store = try TrustStore(caFiles: [directory])
        #expect(store.certificates.count == 2)
        #expect(store.verify(chain: pki.strangerClient.chain).isOK)
    }

    @Test func verifyIsSafeFromSeveralThreads() async throws {
        let pki = try TestPKI.shared()
        let store = pki.makeTrustStore()
        let chain = pki.client.chain
        let results = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<16 { group.addTask { store.verify(chain: chain).isOK } }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.allSatisfy { $0 })
    }
}
