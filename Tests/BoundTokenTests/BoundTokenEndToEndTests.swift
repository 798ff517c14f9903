import Foundation
import GatehouseBoundToken
import GatehouseClient
import GatehouseConfiguration
import GatehouseTesting
import HTTPTypes
import JWTKit
import Testing

/// Certificate-bound tokens over real sockets: a configuration with a `boundToken` authenticator, served on
/// loopback, called by mTLS clients with tokens minted in the test.
@Suite(.serialized) struct BoundTokenEndToEndTests {
    static let versions: [ClientConfiguration.HTTPVersionPreference] = [.http1_1, .http2]

    /// `/api/orders` needs the policy and the token; `/open/orders` only the token.
    static func configuration(jwks: String, leeway: String = "30s") -> String {
        """
        listeners:
          - { host: 127.0.0.1, port: 8443, tls: { certificate: pki/server.crt, privateKey: pki/server.key } }
        policies:
          partners: { trustedCAs: [pki/ca.crt] }
        authenticators:
          partnerTokens: { type: boundToken, jwks: \(jwks), issuer: "\(TokenIssuer.issuer)", audience: [other-api, \(TokenIssuer.audience)], leeway: \(leeway) }
        routes:
          - { path: /api/orders, function: orders, policy: partners, authenticators: [partnerTokens] }
          - { path: /open/orders, function: orders, authenticators: [partnerTokens] }
        """
    }

    static var functions: FunctionRegistry {
        var functions = FunctionRegistry.builtIn
        functions.register("orders", TokenEcho())
        return functions
    }

    func withTokenServer(
        leeway: String = "30s",
        _ body: (GatehouseTestServer, TokenIssuer) async throws -> Void
    ) async throws {
        let issuer = try await TokenIssuer()
        defer { issuer.remove() }
        try await GatehouseTestServer.withServer(
            configuration: Self.configuration(jwks: issuer.jwksFile, leeway: leeway),
            functions: Self.functions
        ) { server in
            try await body(server, issuer)
        }
    }

    func get(
        _ server: GatehouseTestServer,
        _ path: String = "/api/orders",
        as certificate: TestClientCertificate,
        token: String?,
        version: ClientConfiguration.HTTPVersionPreference = .automatic
    ) async throws -> ClientResponse {
        var fields = HTTPFields()
        if let token { fields[.authorization] = "Bearer \(token)" }
        return try await server.client(certificate, httpVersion: version).get(path, headerFields: fields)
    }

    @Test(arguments: versions)
    func theRightTokenOnItsCertificateIsServedWithBothIdentities(
        version: ClientConfiguration.HTTPVersionPreference
    ) async throws {
        try await self.withTokenServer { server, issuer in
            let alice = try server.pki.client(named: "alice")
            let token = try await issuer.token(boundTo: alice.certificate)
            let response = try await self.get(server, as: .client("alice"), token: token, version: version)
            #expect(response.status.code == 200)
            #expect(
                response.bodyText
                    == "sub=partner-a scope=orders:read kid=es-1 alg=ES256 certificate=CN=alice,O=Gatehouse Tests"
            )
        }
    }

    @Test(arguments: versions)
    func theSameTokenOnAnotherAllowedCertificateIs401(version: ClientConfiguration.HTTPVersionPreference) async throws {
        try await self.withTokenServer { server, issuer in
            let token = try await issuer.token(boundTo: try server.pki.client(named: "alice").certificate)
            let response = try await self.get(server, as: .client("bob"), token: token, version: version)
            try expectInvalidToken(response, reason: "token_binding_mismatch")
            // Bob's certificate passes the policy: the 401 is the token's, not the certificate's.
            let own = try await issuer.token(boundTo: try server.pki.client(named: "bob").certificate)
            #expect(try await self.get(server, as: .client("bob"), token: own, version: version).status.code == 200)
        }
    }

    @Test(arguments: versions)
    func noTokenGetsTheBearerChallenge(version: ClientConfiguration.HTTPVersionPreference) async throws {
        try await self.withTokenServer { server, _ in
            let response = try await self.get(server, as: .client("alice"), token: nil, version: version)
            #expect(response.status.code == 401)
            #expect(response.head.headerFields[.wwwAuthenticate] == "Bearer")
            #expect(response.head.headerFields[.contentType] == "application/problem+json")
            #expect(response.bodyText.contains(#""reason":"missing_token""#))
            // Another scheme is not a bearer token: the same challenge.
            let basic = try await server.client(.client("alice"), httpVersion: version).get(
                "/api/orders",
                headerFields: [.authorization: "Basic YWxpY2U6c2VjcmV0"]
            )
            #expect(basic.status.code == 401)
            #expect(basic.head.headerFields[.wwwAuthenticate] == "Bearer")
        }
    }

    @Test(arguments: versions)
    func twoBearerTokensAreAnInvalidRequest(version: ClientConfiguration.HTTPVersionPreference) async throws {
        try await self.withTokenServer { server, issuer in
            let token = try await issuer.token(boundTo: try server.pki.client(named: "alice").certificate)
            var fields = HTTPFields()
            fields.append(HTTPField(name: .authorization, value: "Bearer \(token)"))
            fields.append(HTTPField(name: .authorization, value: "Bearer \(token)"))
            let response = try await server.client(.client("alice"), httpVersion: version).get(
                "/api/orders",
                headerFields: fields
            )
            #expect(response.status.code == 400)
            let challenge = response.head.headerFields[.wwwAuthenticate] ?? ""
            #expect(challenge.hasPrefix(#"Bearer error="invalid_request""#))
            #expect(response.bodyText.contains(#""reason":"multiple_tokens""#))
        }
    }

    @Test(arguments: versions)
    func thePolicyRefusesBeforeTheTokenIsLookedAt(version: ClientConfiguration.HTTPVersionPreference) async throws {
        try await self.withTokenServer { server, issuer in
            let stranger = server.pki.identity(.strangerClient)
            let token = try await issuer.token(boundTo: stranger.certificate)
            let response = try await self.get(server, as: .untrusted, token: token, version: version)
            #expect(response.status.code == 403)
            #expect(response.head.headerFields[.wwwAuthenticate] == nil)
            // Without a token, too: the policy answers first.
            #expect(try await self.get(server, as: .untrusted, token: nil, version: version).status.code == 403)
        }
    }

    @Test(arguments: versions)
    func aBoundTokenOnAConnectionWithoutACertificateIs401(
        version: ClientConfiguration.HTTPVersionPreference
    ) async throws {
        try await self.withTokenServer { server, issuer in
            let token = try await issuer.token(boundTo: try server.pki.client(named: "alice").certificate)
            let open = try await self.get(server, "/open/orders", as: .none, token: token, version: version)
            try expectInvalidToken(open, reason: "no_client_certificate")
            // The route with the policy refuses the missing certificate first.
            #expect(try await self.get(server, as: .none, token: token, version: version).status.code == 403)
            // Without a policy, the token alone binds to whatever certificate the connection has.
            let bound = try await self.get(server, "/open/orders", as: .client("alice"), token: token, version: version)
            #expect(bound.status.code == 200)
            #expect(bound.bodyText.hasSuffix("certificate=-"))
        }
    }

    @Test func eachBadTokenIsRefusedWithItsReason() async throws {
        try await self.withTokenServer { server, issuer in
            let alice = try server.pki.client(named: "alice").certificate
            let now = Date().timeIntervalSince1970
            func refused(_ claims: TokenIssuer.Claims, kid: String = "es-1", _ reason: String) async throws {
                let token = try await issuer.token(boundTo: alice, claims, kid: kid)
                let response = try await self.get(server, as: .client("alice"), token: token)
                try expectInvalidToken(response, reason: reason)
            }
            var claims = TokenIssuer.Claims()
            claims.exp = now - 120
            try await refused(claims, "token_expired")
            claims = TokenIssuer.Claims()
            claims.nbf = now + 120
            try await refused(claims, "token_not_yet_valid")
            claims = TokenIssuer.Claims()
            claims.iss = "https://other-idp.example"
            try await refused(claims, "wrong_issuer")
            claims = TokenIssuer.Claims()
            claims.aud = ["billing-api"]
            try await refused(claims, "wrong_audience")
            claims = TokenIssuer.Claims()
            claims.exp = nil
            try await refused(claims, "missing_claim")
            claims = TokenIssuer.Claims()
            claims.sub = nil
            try await refused(claims, "missing_claim")

            // Not bound at all.
            let unbound = try await issuer.token(TokenIssuer.Claims())
            try expectInvalidToken(
                try await self.get(server, as: .client("alice"), token: unbound),
                reason: "token_not_bound"
            )
            // A key the JWKS does not hold, and a kid that names a key of another algorithm.
            let stranger = JWTKeyCollection()
            await stranger.add(ecdsa: ES256PrivateKey(), kid: "es-2")
            await stranger.add(rsa: issuer.rsa, digestAlgorithm: .sha256, kid: "es-1")
            var bound = TokenIssuer.Claims()
            bound.cnf = ["x5t#S256": thumbprint(alice)]
            let unknownKey = try await stranger.sign(bound, kid: "es-2")
            try expectInvalidToken(
                try await self.get(server, as: .client("alice"), token: unknownKey),
                reason: "unknown_key"
            )
            let mismatched = try await stranger.sign(bound, kid: "es-1")
            try expectInvalidToken(
                try await self.get(server, as: .client("alice"), token: mismatched),
                reason: "unsupported_algorithm"
            )
            // The right key's name on a token signed by another key of the same algorithm.
            let forged = JWTKeyCollection()
            await forged.add(ecdsa: ES256PrivateKey(), kid: "es-1")
            try expectInvalidToken(
                try await self.get(server, as: .client("alice"), token: try await forged.sign(bound, kid: "es-1")),
                reason: "invalid_signature"
            )
            try expectInvalidToken(
                try await self.get(server, as: .client("alice"), token: "not.a-token"),
                reason: "malformed_token"
            )
            let huge = String(repeating: "a", count: 9000)
            try expectInvalidToken(
                try await self.get(server, as: .client("alice"), token: huge),
                reason: "token_too_large"
            )
        }
    }

    @Test func rs256AndTheLeewayAreAccepted() async throws {
        try await self.withTokenServer { server, issuer in
            let alice = try server.pki.client(named: "alice").certificate
            let rsa = try await issuer.token(boundTo: alice, kid: "rs-1")
            let response = try await self.get(server, as: .client("alice"), token: rsa)
            #expect(response.status.code == 200)
            #expect(response.bodyText.contains("kid=rs-1 alg=RS256"))
            // Expired 10 s ago, valid from 10 s ahead: both within the 30 s leeway.
            var claims = TokenIssuer.Claims()
            claims.exp = Date().timeIntervalSince1970 - 10
            #expect(
                try await self.get(server, as: .client("alice"), token: try await issuer.token(boundTo: alice, claims))
                    .status.code == 200
            )
            claims = TokenIssuer.Claims()
            claims.nbf = Date().timeIntervalSince1970 + 10
            #expect(
                try await self.get(server, as: .client("alice"), token: try await issuer.token(boundTo: alice, claims))
                    .status.code == 200
            )
        }
    }

    @Test func aRotatedJWKSIsPickedUpAndABrokenOneKeepsTheOldKeys() async throws {
        try await self.withTokenServer { server, issuer in
            let service = try #require(server.service)
            let alice = try server.pki.client(named: "alice").certificate
            let rsaToken = try await issuer.token(boundTo: alice, kid: "rs-1")
            let esToken = try await issuer.token(boundTo: alice, kid: "es-1")
            // Drop the RSA key: its tokens are refused after the reload.
            try issuer.writeJWKS([try issuer.publicJWKS()[0]])
            #expect(await service.reload(reason: "test"))
            try expectInvalidToken(
                try await self.get(server, as: .client("alice"), token: rsaToken),
                reason: "unknown_key"
            )
            #expect(try await self.get(server, as: .client("alice"), token: esToken).status.code == 200)
            // A broken file refuses the reload; the keys loaded before keep working.
            try Data("{\"keys\": [".utf8).write(to: URL(fileURLWithPath: issuer.jwksFile))
            #expect(await service.reload(reason: "test") == false)
            #expect(try await self.get(server, as: .client("alice"), token: esToken).status.code == 200)
            #expect(await service.watchedPaths.contains(issuer.jwksFile))
        }
    }
}

/// A 401 `invalid_token` (RFC 6750 §3) whose problem body names `reason`.
func expectInvalidToken(
    _ response: ClientResponse,
    reason: String,
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    #expect(response.status.code == 401, sourceLocation: sourceLocation)
    let challenge = response.head.headerFields[.wwwAuthenticate] ?? ""
    #expect(challenge.hasPrefix(#"Bearer error="invalid_token", error_description=""#), sourceLocation: sourceLocation)
    #expect(response.head.headerFields[.contentType] == "application/problem+json", sourceLocation: sourceLocation)
    let body = try JSONSerialization.jsonObject(with: Data(response.bodyText.utf8)) as? [String: Any]
    #expect(body?["reason"] as? String == reason, sourceLocation: sourceLocation)
    #expect(body?["status"] as? Int == 401, sourceLocation: sourceLocation)
}
