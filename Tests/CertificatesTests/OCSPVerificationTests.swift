import Foundation
import GatehouseCertificateAuthority
import GatehouseCertificates
import TestSupport
import Testing

/// OCSP requests built here, answered by `openssl ocsp` from an index (file mode: `-reqin`/`-respout`), and the
/// answers verified here.
@Suite struct OCSPVerificationTests {
    /// The PKI shared by the suite's tests (no responder runs: the port only fills the AIA).
    static let pki = Result { try OCSPTestPKI(port: 8888) }

    /// `openssl ocsp`'s answer to `request`, signed by `signer`.
    private func answer(
        _ request: OCSPRequest,
        signer: OCSPTestPKI.Signer = .delegated,
        _ extra: [String] = []
    ) throws -> [UInt8] {
        let pki = try Self.pki.get()
        let name = UUID().uuidString
        let requestFile = (pki.directory as NSString).appendingPathComponent("\(name).req")
        let responseFile = (pki.directory as NSString).appendingPathComponent("\(name).resp")
        try Data(request.derBytes).write(to: URL(fileURLWithPath: requestFile))
        let result = try runOpenSSL(
            pki.responderArguments(signer: signer, ["-reqin", requestFile, "-respout", responseFile] + extra)
        )
        #expect(result.status == 0, "\(result.output)")
        return Array(try Data(contentsOf: URL(fileURLWithPath: responseFile)))
    }

    private func verify(_ request: OCSPRequest, _ response: [UInt8]) throws -> OCSPAnswer {
        let pki = try Self.pki.get()
        return try request.verify(
            response: response,
            trustStore: TrustStore(certificates: [pki.root.certificate]),
            untrusted: [pki.root.certificate]
        )
    }

    @Test func goodCertificateIsGoodWithTheResponderTimes() throws {
        let pki = try Self.pki.get()
        let request = try OCSPRequest(leaf: pki.good.certificate, issuer: pki.root.certificate)
        let before = Date().addingTimeInterval(-5)
        let answer = try self.verify(request, try self.answer(request, ["-nmin", "10"]))
        #expect(answer.status == .good)
        #expect(answer.thisUpdate >= before && answer.thisUpdate <= Date().addingTimeInterval(5))
        let nextUpdate = try #require(answer.nextUpdate)
        #expect(abs(nextUpdate.timeIntervalSince(answer.thisUpdate) - 600) < 5)
        // Without -nmin/-ndays the responder gives no nextUpdate.
        #expect(try self.verify(request, try self.answer(request)).nextUpdate == nil)
    }

    @Test func revokedCertificateIsRevokedAtItsTime() throws {
        let pki = try Self.pki.get()
        let request = try OCSPRequest(leaf: pki.revoked.certificate, issuer: pki.root.certificate)
        let answer = try self.verify(request, try self.answer(request))
        guard case .revoked(let time) = answer.status else {
            Issue.record("expected revoked, got \(answer.status)")
            return
        }
        let revokedAt = try #require(time)
        #expect(abs(revokedAt.timeIntervalSinceNow + 3600) < 120)
    }

    @Test func certificateMissingFromTheIndexIsUnknown() throws {
        let pki = try Self.pki.get()
        let request = try OCSPRequest(leaf: pki.unlisted.certificate, issuer: pki.root.certificate)
        #expect(try self.verify(request, try self.answer(request)).status == .unknown)
    }

    @Test func theIssuerMaySignItself() throws {
        let pki = try Self.pki.get()
        let request = try OCSPRequest(leaf: pki.good.certificate, issuer: pki.root.certificate)
        #expect(try self.verify(request, try self.answer(request, signer: .issuer)).status == .good)
    }

    @Test(arguments: [OCSPTestPKI.Signer.unauthorized, .stranger])
    func signerWithoutAuthorityIsUnverified(signer: OCSPTestPKI.Signer) throws {
        let pki = try Self.pki.get()
        let request = try OCSPRequest(leaf: pki.revoked.certificate, issuer: pki.root.certificate)
        let response = try self.answer(request, signer: signer)
        do {
            _ = try self.verify(request, response)
            Issue.record("a response signed by \(signer) was believed")
        } catch let error as OCSPError {
            #expect(error.code == .unverified, "\(error)")
        }
    }

    @Test func answerAboutAnotherCertificateHasNoStatus() throws {
        let pki = try Self.pki.get()
        let asked = try OCSPRequest(leaf: pki.good.certificate, issuer: pki.root.certificate)
        let other = try OCSPRequest(leaf: pki.revoked.certificate, issuer: pki.root.certificate)
        let response = try self.answer(other)
        do {
            _ = try self.verify(asked, response)
            Issue.record("an answer about another certificate was taken")
        } catch let error as OCSPError {
            #expect(error.code == .noStatus, "\(error)")
        }
    }

    @Test(arguments: [[UInt8](), [0x30, 0x03, 0x0A, 0x01, 0x00], Array("<html>".utf8)])
    func garbageIsABadResponse(bytes: [UInt8]) throws {
        let pki = try Self.pki.get()
        let request = try OCSPRequest(leaf: pki.good.certificate, issuer: pki.root.certificate)
        do {
            _ = try self.verify(request, bytes)
            Issue.record("garbage was taken as a response")
        } catch let error as OCSPError {
            #expect(error.code == .badResponse || error.code == .responderError, "\(error)")
        }
    }

    @Test func responderErrorStatusIsReported() throws {
        let pki = try Self.pki.get()
        let request = try OCSPRequest(leaf: pki.good.certificate, issuer: pki.root.certificate)
        // OCSPResponse { responseStatus tryLater (3) }.
        do {
            _ = try self.verify(request, [0x30, 0x03, 0x0A, 0x01, 0x03])
            Issue.record("an error status was taken as an answer")
        } catch let error as OCSPError {
            #expect(error.code == .responderError, "\(error)")
            #expect(error.detail.contains("trylater"), "\(error)")
        }
    }

    @Test func authorityInformationAccessNamesTheResponder() throws {
        let pki = try Self.pki.get()
        #expect(pki.good.certificate.ocspResponderURLs == ["http://127.0.0.1:8888"])
        #expect(pki.withoutAIA.certificate.ocspResponderURLs.isEmpty)
        let parsed = try runOpenSSL(["x509", "-in", pki.good.certificateFile, "-noout", "-ocsp_uri"])
        #expect(parsed.output.trimmingCharacters(in: .whitespacesAndNewlines) == "http://127.0.0.1:8888")
    }

    @Test func requestIsWhatOpenSSLReadsAsARequestForTheLeaf() throws {
        let pki = try Self.pki.get()
        let request = try OCSPRequest(leaf: pki.good.certificate, issuer: pki.root.certificate)
        let file = (pki.directory as NSString).appendingPathComponent("\(UUID().uuidString).req")
        try Data(request.derBytes).write(to: URL(fileURLWithPath: file))
        let text = try runOpenSSL(["ocsp", "-reqin", file, "-req_text"])
        // OpenSSL prints the serial with an even number of digits (a leading 0 when needed); serialNumberHex has none.
        let printed = text.output.split(separator: "\n").first { $0.contains("Serial Number: ") }
        let serial = printed.map { $0.split(separator: " ").last.map { $0.drop { $0 == "0" } } ?? "" }
        #expect(serial.map(String.init) == pki.good.certificate.serialNumberHex, "\(text.output)")
        #expect(text.output.contains("Hash Algorithm: sha1"))
    }
}
