import Foundation
import GatehouseAuth
import GatehouseBoundToken
import GatehouseCertificates
import GatehouseRouting
import GatehouseTransport
import JWTKit

/// A token issuer made in the test: an ES256 key (`es-1`) and an RS256 key (`rs-1`), generated per run, their JWKS
/// written to a file, and tokens minted with jwt-kit.
struct TokenIssuer: Sendable {
    static let issuer = "https://idp.example"
    static let audience = "orders-api"

    let directory: String
    let jwksFile: String
    let ecdsa: ES256PrivateKey
    let rsa: Insecure.RSA.PrivateKey
    private let keys: JWTKeyCollection

    /// The claims a test token carries; `nil` members are left out.
    struct Claims: JWTPayload {
        var iss: String? = TokenIssuer.issuer
        var aud: [String]? = [TokenIssuer.audience]
        var sub: String? = "partner-a"
        var exp: Double? = Date().timeIntervalSince1970 + 300
        var nbf: Double? = nil
        var cnf: [String: String]? = nil
        var scope: String? = "orders:read"

        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    init() async throws {
        self.directory = NSTemporaryDirectory() + "gatehouse-token-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: self.directory, withIntermediateDirectories: true)
        self.jwksFile = self.directory + "/issuer.jwks.json"
        self.ecdsa = ES256PrivateKey()
        let rsaPEM = String(decoding: try PrivateKey.generate(.rsa(bits: 2048)).pemBytes(), as: UTF8.self)
        self.rsa = try Insecure.RSA.PrivateKey(pem: rsaPEM)
        self.keys = JWTKeyCollection()
        await self.keys.add(ecdsa: self.ecdsa, kid: "es-1")
        await self.keys.add(rsa: self.rsa, digestAlgorithm: .sha256, kid: "rs-1")
        try self.writeJWKS(self.publicJWKS())
    }

    /// The public JWKS of both keys (`alg` left out of the RSA key, as many issuers do).
    func publicJWKS() throws -> [[String: String]] {
        guard let point = self.ecdsa.publicKey.parameters else { throw CocoaError(.coderInvalidValue) }
        let primitives = try self.rsa.publicKey.getKeyPrimitives()
        return [
            ["kty": "EC", "crv": "P-256", "kid": "es-1", "alg": "ES256", "use": "sig", "x": point.x, "y": point.y],
            [
                "kty": "RSA", "kid": "rs-1", "n": base64URL(Array(primitives.modulus)),
                "e": base64URL(Array(primitives.publicExponent)),
            ],
        ]
    }

    /// Writes `keys` as the JWKS file.
    func writeJWKS(_ keys: [[String: String]]) throws {
        let data = try JSONSerialization.data(withJSONObject: ["keys": keys], options: [.sortedKeys])
        try data.write(to: URL(fileURLWithPath: self.jwksFile), options: .atomic)
    }

    /// A token with `claims`, signed by the key `kid`.
    func token(_ claims: Claims, kid: String = "es-1") async throws -> String {
        try await self.keys.sign(claims, kid: JWKIdentifier(string: kid))
    }

    /// A token bound to `certificate` (`cnf.x5t#S256`), otherwise as `claims` says.
    func token(boundTo certificate: Certificate, _ claims: Claims = Claims(), kid: String = "es-1") async throws
        -> String
    {
        var claims = claims
        claims.cnf = ["x5t#S256": thumbprint(certificate)]
        return try await self.token(claims, kid: kid)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: self.directory)
    }
}

/// `x5t#S256` of `certificate`, computed here on its own: base64url of SHA-256 of the DER, no padding.
func thumbprint(_ certificate: Certificate) -> String {
    base64URL(certificate.sha256)
}

func base64URL(_ bytes: [UInt8]) -> String {
    var text = Data(bytes).base64EncodedString()
    text = text.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
    while text.hasSuffix("=") { text.removeLast() }
    return text
}

/// Answers who the token and the certificate said the caller is: `sub=… scope=… kid=… alg=… certificate=…`.
struct TokenEcho: Function {
    func respond(to request: Request, context: RequestContext) async throws -> Response {
        guard let token = context.identity(as: BoundTokenIdentity.self) else { return .text("no token identity") }
        let scope = token.claims["scope"]?.stringValue ?? "-"
        let certificate = context.identity(as: ClientCertificateIdentity.self)?.subject ?? "-"
        return .text(
            "sub=\(token.subject) scope=\(scope) kid=\(token.keyID) alg=\(token.algorithm) certificate=\(certificate)"
        )
    }
}
