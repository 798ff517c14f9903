import Foundation
import GatehouseAuth
import GatehouseBoundToken
import GatehouseCertificates
import GatehouseTesting
import GatehouseTransport
import HTTPTypes
import Logging
import Testing

/// `exp` and `nbf` against an injected clock: the leeway's edges exactly, no wall clock.
@Suite struct BoundTokenClockTests {
    static let logger = Logger(label: "token-tests") { _ in SwiftLogNoOpLogHandler() }
    static let epoch: Double = 2_000_000_000

    /// The authenticator's answer for a token with `exp`/`nbf` on a connection presenting the test client, at `now`.
    func reason(exp: Double, nbf: Double? = nil, leeway: Duration, at now: Double) async throws -> String {
        let issuer = try await TokenIssuer()
        defer { issuer.remove() }
        let pki = try TestPKI.shared()
        let configuration = BoundTokenConfiguration(
            jwks: issuer.jwksFile,
            issuer: TokenIssuer.issuer,
            audiences: [TokenIssuer.audience],
            leeway: leeway
        )
        let authenticator = try BoundTokenAuthenticator(configuration, logger: Self.logger) {
            Date(timeIntervalSince1970: now)
        }
        var claims = TokenIssuer.Claims()
        claims.exp = exp
        claims.nbf = nbf
        let token = try await issuer.token(boundTo: pki.client.certificate, claims)
        var head = HTTPRequest(method: .get, scheme: "https", authority: "localhost", path: "/api/orders")
        head.headerFields[.authorization] = "Bearer \(token)"
        let tls = TLSSessionInfo(
            protocolVersion: "TLSv1.3",
            cipher: "TLS_AES_128_GCM_SHA256",
            alpn: "h2",
            peerCertificates: pki.client.chain,
            verifyResult: nil,
            isResumed: false
        )
        let connection = ConnectionInfo(id: 1, remoteAddress: nil, localAddress: nil, httpVersion: .http2, tls: tls)
        let context = RequestContext(connection: connection, connectionStore: ConnectionStore())
        switch try await authenticator.authenticate(Request(head: head), context: context) {
        case .authenticated(let identity):
            #expect(identity.expiresAt == Date(timeIntervalSince1970: exp))
            #expect(identity.scopes == ["orders:read"])
            return "ok"
        case .notApplicable(let challenge): return challenge.reason
        case .refused(let refusal): return refusal.reason
        }
    }

    @Test func expiryHoldsUntilTheLeewayHasPassed() async throws {
        let exp = Self.epoch
        #expect(try await self.reason(exp: exp, leeway: .seconds(30), at: exp + 29.9) == "ok")
        #expect(try await self.reason(exp: exp, leeway: .seconds(30), at: exp + 30) == "token_expired")
        #expect(try await self.reason(exp: exp, leeway: .zero, at: exp - 0.1) == "ok")
        #expect(try await self.reason(exp: exp, leeway: .zero, at: exp) == "token_expired")
    }

    @Test func notBeforeHoldsFromTheLeewayBefore() async throws {
        let nbf = Self.epoch
        let exp = nbf + 3600
        #expect(try await self.reason(exp: exp, nbf: nbf, leeway: .seconds(30), at: nbf - 30) == "ok")
        #expect(
            try await self.reason(exp: exp, nbf: nbf, leeway: .seconds(30), at: nbf - 30.1) == "token_not_yet_valid"
        )
        #expect(try await self.reason(exp: exp, nbf: nbf, leeway: .zero, at: nbf) == "ok")
        #expect(try await self.reason(exp: exp, nbf: nbf, leeway: .zero, at: nbf - 0.1) == "token_not_yet_valid")
    }
}
