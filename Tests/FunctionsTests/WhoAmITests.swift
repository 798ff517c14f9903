import Auth
import Certificates
import Foundation
import Functions
import HTTPTypes
import NIOCore
import Routing
import TestSupport
import Testing
import Transport

@Suite struct WhoAmITests {
    @Test func answersTheIdentityAsJSON() async throws {
        let pki = try TestPKI.shared()
        let leaf = pki.client.certificate
        var context = makeContext()
        context.identity = ClientCertificateIdentity(certificate: leaf, presentedChain: pki.client.chain)
        let request = Request(head: HTTPRequest(method: .get, scheme: "https", authority: "localhost", path: "/api/whoami"))
        let now = pki.referenceTime
        let response = try await WhoAmI(now: { now }).respond(to: request, context: context)
        #expect(response.status == .ok)
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any])
        #expect(json["subject"] as? String == leaf.subject)
        #expect(json["issuer"] as? String == leaf.issuer)
        #expect(json["serialNumber"] as? String == leaf.serialNumberHex)
        #expect(json["sha1"] as? String == leaf.sha1.hexString)
        #expect(json["sha256"] as? String == leaf.sha256.hexString)
        #expect(json["spki"] as? String == leaf.spkiSHA256.hexString)
        #expect(json["daysUntilExpiry"] as? Int == 30)
        #expect(json["notAfter"] as? String == leaf.notAfter.ISO8601Format())
        #expect((json["sans"] as? [String: Any])?["dns"] as? [String] == [])
        #expect(json["matchedIdentity"] is NSNull)
    }

    @Test func withoutAnIdentityItAnswers403() async throws {
        let response = try await get(WhoAmI(), "/api/whoami")
        #expect(response.status.code == 403)
        #expect(response.status.reasonPhrase == "Invalid client certificate")
    }
}
