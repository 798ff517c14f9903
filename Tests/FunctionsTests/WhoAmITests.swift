import Foundation
import GatehouseAuth
import GatehouseCertificateAuthority
import GatehouseCertificates
import GatehouseFunctions
import GatehouseRouting
import GatehouseTransport
import HTTPTypes
import NIOCore
import TestSupport
import Testing

@Suite struct WhoAmITests {
    @Test func answersTheIdentityAsJSON() async throws {
        let pki = try TestPKI.shared()
        let leaf = pki.client.certificate
        var context = makeContext()
        context.addIdentity(ClientCertificateIdentity(certificate: leaf, presentedChain: pki.client.chain))
        let request = Request(
            head: HTTPRequest(method: .get, scheme: "https", authority: "localhost", path: "/api/whoami")
        )
        let now = pki.referenceTime
        let response = try await WhoAmI(now: { now }).respond(to: request, context: context)
        #expect(response.status == .ok)
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any]
        )
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
        #expect(json["verified"] as? Bool == true)
        #expect(json["reason"] == nil)
    }

    @Test func aRefusalReportedByAReportModePolicyIsDescribedAsUnverifiedWithItsReason() async throws {
        let pki = try TestPKI.shared()
        let stranger = pki.strangerClient
        var context = makeContext()
        context.reportedRefusal = ReportedRefusal(
            identity: ClientCertificateIdentity(certificate: stranger.certificate, presentedChain: stranger.chain),
            reason: "untrusted"
        )
        let response = try await WhoAmI().respond(to: Self.request, context: context)
        #expect(response.status == .ok)
        let json = try Self.object(response)
        #expect(json["verified"] as? Bool == false)
        #expect(json["reason"] as? String == "untrusted")
        #expect(json["subject"] as? String == stranger.certificate.subject)
        #expect(json["sha256"] as? String == stranger.certificate.sha256.hexString)
    }

    @Test func aRefusalWithoutACertificateAnswers403() async throws {
        var context = makeContext()
        context.reportedRefusal = ReportedRefusal<ClientCertificateIdentity>(identity: nil, reason: "no_certificate")
        let response = try await WhoAmI().respond(to: Self.request, context: context)
        #expect(response.status.code == 403)
    }

    /// Subject values are the client's to choose: quotes, backslashes, control characters and markup must come
    /// back as the same string, in valid JSON.
    @Test func hostileSubjectValuesAreEscaped() async throws {
        let pki = try TestPKI.shared()
        let hostile = "a\"b\\c\nd\u{01}</script>{\"x\":1}"
        let issued = try pki.intermediateAuthority.issue(
            CertificateSpec(
                subject: [.organization("q\"uote"), .commonName(hostile)],
                kind: .client,
                notBefore: pki.referenceTime.addingTimeInterval(-60)
            )
        )
        var context = makeContext()
        context.addIdentity(
            ClientCertificateIdentity(certificate: issued.certificate, presentedChain: [issued.certificate])
        )
        let response = try await WhoAmI().respond(to: Self.request, context: context)
        let json = try Self.object(response)
        #expect(json["subject"] as? String == issued.certificate.subject)
        // RFC 4514 escapes some of it; quotes and backslashes reach the JSON as they are.
        #expect(issued.certificate.subject.contains("\"") && issued.certificate.subject.contains("\\"))
        #expect(json.count == 12, "no field injected: \(json.keys.sorted())")
    }

    static let request = Request(
        head: HTTPRequest(method: .get, scheme: "https", authority: "localhost", path: "/api/whoami")
    )

    static func object(_ response: Response) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any])
    }

    @Test func withoutAnIdentityItAnswers403() async throws {
        let response = try await get(WhoAmI(), "/api/whoami")
        #expect(response.status.code == 403)
        #expect(response.status.reasonPhrase == "Invalid client certificate")
    }
}
