import Foundation
import GatehouseCertificates
import JWTKit
import TestSupport
import Testing

/// Certificate-bound tokens through real processes: `gatehouse serve` with a `boundToken` authenticator in its
/// configuration file, called by curl with tokens minted here (jwt-kit, a key generated per run).
@Suite("Certificate-bound tokens, real processes", .serialized)
struct BoundTokenProcessTests {
    struct Claims: JWTPayload {
        var iss = "https://idp.example"
        var aud = "orders-api"
        var sub = "partner-a"
        var exp: Double
        var cnf: [String: String]

        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    @Test(arguments: ["--http1.1", "--http2"])
    func rightCertificateWrongCertificateAndExpired(http: String) async throws {
        let key = ES256PrivateKey()
        let keys = JWTKeyCollection()
        await keys.add(ecdsa: key, kid: "k1")
        let jwksFolder = NSTemporaryDirectory() + "gatehouse-jwks-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: jwksFolder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: jwksFolder) }
        let jwks = jwksFolder + "/partners.jwks.json"
        let point = try #require(key.publicKey.parameters)
        let document = ["keys": [["kty": "EC", "crv": "P-256", "kid": "k1", "x": point.x, "y": point.y]]]
        try JSONSerialization.data(withJSONObject: document).write(to: URL(fileURLWithPath: jwks))

        let server = try ServerProcess(
            extraYAML: """
                  - { path: /api/orders, function: hello, policy: partners, authenticators: [partnerTokens] }
                authenticators:
                  partnerTokens: { type: boundToken, jwks: \(jwks), issuer: https://idp.example, audience: orders-api }
                """
        )
        let pki = server.folder.pki
        let url = "https://127.0.0.1:\(server.port)/api/orders?name=token"
        let ca = server.folder.path + "/pki/ca.crt"
        let client = Curl(caFile: ca, clientCertificate: (pki.client.chainFile, pki.client.keyFile))
        let other = Curl(caFile: ca, clientCertificate: (pki.rootClient.chainFile, pki.rootClient.keyFile))
        let bound = ["x5t#S256": Self.thumbprint(pki.client.certificate)]
        let token = try await keys.sign(Claims(exp: Date().timeIntervalSince1970 + 300, cnf: bound), kid: "k1")
        let expired = try await keys.sign(Claims(exp: Date().timeIntervalSince1970 - 600, cnf: bound), kid: "k1")

        let right = try await client.run(url, [http, "-H", "Authorization: Bearer \(token)"])
        #expect(right.status == 200, "\(right.text) \(right.stderr)")
        #expect(right.text == "Hello, token.")

        // rootClient's certificate passes the policy too: the token is refused because it is bound to the other one.
        let stolen = try await other.run(url, [http, "-H", "Authorization: Bearer \(token)"])
        #expect(stolen.status == 401)
        #expect(stolen.headers.contains(#"error="invalid_token""#), "\(stolen.headers)")
        #expect(stolen.text.contains(#""reason":"token_binding_mismatch""#), "\(stolen.text)")

        let late = try await client.run(url, [http, "-H", "Authorization: Bearer \(expired)"])
        #expect(late.status == 401)
        #expect(late.text.contains(#""reason":"token_expired""#), "\(late.text)")

        let none = try await client.run(url, [http])
        #expect(none.status == 401)
        #expect(none.headers.lowercased().contains("www-authenticate: bearer\r\n"), "\(none.headers)")
        #expect(server.stop() == 0)
    }

    /// base64url SHA-256 of the DER, no padding.
    static func thumbprint(_ certificate: Certificate) -> String {
        Data(certificate.sha256).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
