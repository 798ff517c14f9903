import Foundation
import GatehouseAuth
import GatehouseBoundToken
import GatehouseConfiguration
import GatehouseTesting
import Logging
import Testing

/// `authenticators:` in the configuration file: parsed strictly, made at load with errors that name the file, the
/// line and the key, and listed by `gatehouse check`.
@Suite struct BoundTokenConfigurationTests {
    /// Writes a configuration whose authenticator entry is `entry` into the issuer's folder; returns its path.
    func write(_ issuer: TokenIssuer, entry: String) throws -> String {
        let pki = try TestPKI.shared()
        let text = """
            listeners:
              - { host: 127.0.0.1, port: 8443, tls: { certificate: \(pki.server.chainFile), privateKey: \(pki.server.keyFile) } }
            policies:
              partners: { trustedCAs: [\(pki.rootCAFile)] }
            authenticators:
              partnerTokens: \(entry)
            routes:
              - { path: /api/orders, function: hello, policy: partners, authenticators: [partnerTokens] }
              - { path: /api/hello, function: hello, policy: partners }
            """
        let file = issuer.directory + "/gatehouse.yaml"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    func entry(_ extra: String = "", jwks: String = "issuer.jwks.json") -> String {
        "{ type: boundToken, jwks: \(jwks), issuer: https://idp.example, audience: orders-api\(extra) }"
    }

    @Test func theEntryIsReadWithItsDefaults() async throws {
        try await withIssuer { issuer in
            let file = try self.write(issuer, entry: self.entry())
            let configuration = try ConfigurationLoader(functionNames: FunctionRegistry.builtIn.names).load(file: file)
            let named = try #require(configuration.authenticators.first)
            #expect(named.name == "partnerTokens")
            #expect(named.keyPath == "authenticators.partnerTokens")
            guard case .boundToken(let tokens) = named.definition else { return }
            #expect(tokens.jwks == issuer.jwksFile)
            #expect(tokens.audiences == ["orders-api"])
            #expect(tokens.leeway == .seconds(30))
            #expect(tokens.maxTokenSize == 8192)
            #expect(configuration.routes[0].authenticators == [["partnerTokens"]])
        }
    }

    @Test(arguments: [
        (", algorithm: ES256", "authenticators.partnerTokens.algorithm", "unknown key"),
        (", leeway: 10m", "authenticators.partnerTokens.leeway", "must be between"),
        (", maxTokenSize: 10", "authenticators.partnerTokens.maxTokenSize", "must be between"),
        (", audience: []", "authenticators.partnerTokens.audience", "at least one audience"),
    ])
    func badKeysAreErrorsNamingTheKey(extra: String, key: String, problem: String) async throws {
        try await withIssuer { issuer in
            var entry = self.entry(extra)
            if extra.hasPrefix(", audience") {
                entry = entry.replacingOccurrences(of: ", audience: orders-api", with: "")
            }
            let file = try self.write(issuer, entry: entry)
            let error = #expect(throws: ConfigurationError.self) {
                try ConfigurationLoader(functionNames: FunctionRegistry.builtIn.names).load(file: file)
            }
            #expect(error?.keyPath == key)
            #expect(error?.line == 6)
            #expect(error?.problem.contains(problem) == true, "\(String(describing: error))")
        }
    }

    @Test func anUnknownTypeAndAMissingFileAreErrors() async throws {
        try await withIssuer { issuer in
            let loader = ConfigurationLoader(functionNames: FunctionRegistry.builtIn.names)
            let unknownType = try self.write(issuer, entry: "{ type: apiKey, jwks: x }")
            let typeError = #expect(throws: ConfigurationError.self) { try loader.load(file: unknownType) }
            #expect(typeError?.keyPath == "authenticators.partnerTokens.type")
            let missing = try self.write(issuer, entry: self.entry(jwks: "nowhere.jwks.json"))
            let fileError = #expect(throws: ConfigurationError.self) { try loader.load(file: missing) }
            #expect(fileError?.keyPath == "authenticators.partnerTokens.jwks")
            #expect(fileError?.problem.contains("no such file") == true)
        }
    }

    @Test func aNameRegisteredInCodeCannotBeDefinedAgain() async throws {
        try await withIssuer { issuer in
            let file = try self.write(issuer, entry: self.entry())
            let loader = ConfigurationLoader(
                functionNames: FunctionRegistry.builtIn.names,
                authenticatorNames: ["partnerTokens"]
            )
            let error = #expect(throws: ConfigurationError.self) { try loader.load(file: file) }
            #expect(error?.keyPath == "authenticators.partnerTokens")
            #expect(error?.line == 6)
            #expect(error?.problem == "'partnerTokens' is already the name of an authenticator registered in code")
        }
    }

    @Test(arguments: [
        ("private", "holds a private key"),
        ("p384", "must be on curve P-256"),
        ("hmac", "not a JWKS"),
        ("noKid", "no kid"),
        ("duplicate", "used twice"),
        ("empty", "holds no keys"),
    ])
    func anUnusableJWKSIsAnErrorAtLoad(variant: String, problem: String) async throws {
        try await withIssuer { issuer in
            var keys = try issuer.publicJWKS()
            switch variant {
            case "private": keys[0]["d"] = keys[0]["x"]
            case "p384": keys[0]["crv"] = "P-384"
            case "hmac": keys[0] = ["kty": "oct", "kid": "h-1", "k": "c2VjcmV0"]
            case "noKid": keys[1].removeValue(forKey: "kid")
            case "duplicate": keys[1]["kid"] = "es-1"
            default: keys = []
            }
            try issuer.writeJWKS(keys)
            let file = try self.write(issuer, entry: self.entry())
            let error = #expect(throws: ConfigurationError.self) {
                _ = try GatehouseService(configurationFile: file, logger: Self.logger)
            }
            #expect(error?.keyPath == "authenticators.partnerTokens.jwks")
            #expect(error?.line == 6)
            #expect(error?.problem.contains(issuer.jwksFile) == true)
            #expect(error?.problem.contains(problem) == true, "\(String(describing: error))")
        }
    }

    @Test func checkListsTheAuthenticatorWithItsKeysAndRoutes() async throws {
        try await withIssuer { issuer in
            let file = try self.write(issuer, entry: self.entry(", leeway: 5s"))
            let report = try ConfigurationCheck().check(configurationFile: file)
            let authenticator = try #require(report.authenticators.first)
            #expect(authenticator.name == "partnerTokens")
            #expect(authenticator.keys.map(\.kid) == ["es-1", "rs-1"])
            #expect(authenticator.keys.map(\.alg) == ["ES256", "RS256"])
            #expect(authenticator.routes == ["routes[0]"])
            #expect(authenticator.leeway == "5s")
            #expect(
                report.text.contains("  partnerTokens  boundToken, issuer https://idp.example, audience orders-api")
            )
            #expect(report.text.contains("    key           kid rs-1  RS256"))
            #expect(try report.json().contains(#""alg" : "ES256""#))
        }
    }
}

/// Runs `body` with a fresh issuer (keys and JWKS file), removed afterwards.
func withIssuer(_ body: (TokenIssuer) async throws -> Void) async throws {
    let issuer = try await TokenIssuer()
    defer { issuer.remove() }
    try await body(issuer)
}
