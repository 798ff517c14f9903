import Foundation
import GatehouseConfiguration
import HTTPTypes
import TestSupport
import Testing

/// A route of a configuration file that needs the client-certificate policy and a registered API key: both must
/// pass, each failure answers its own refusal.
@Suite("Chained authenticators from a configuration file")
struct ChainedAuthenticationEndToEndTests {
    static func yaml() -> String {
        """
        listeners:
          - host: 127.0.0.1
            port: 0
            tls: { certificate: pki/server.crt, privateKey: pki/server.key }
        policies:
          partners:
            trustedCAs: [pki/ca.crt]
        routes:
          - { path: /report, function: whoami, policy: partners, authenticators: [apiKey] }
          - { path: /either, function: health, authenticators: [[other, apiKey]] }
          - { path: /healthz, function: health }
        """
    }

    static func authenticators() -> AuthenticatorRegistry {
        var authenticators = AuthenticatorRegistry()
        authenticators.register("apiKey", TestAPIKeyAuthenticator(key: "s3cret"))
        authenticators.register("other", TestAPIKeyAuthenticator(key: "other", header: HTTPField.Name("X-Other-Key")!))
        return authenticators
    }

    @Test func theRouteNeedsTheCertificateAndTheKey() async throws {
        let folder = try ConfigurationFolder()
        let file = try folder.write(Self.yaml())
        try await withConfiguredServer(file, authenticators: Self.authenticators()) { _, port in
            let url = "https://127.0.0.1:\(port)/report"
            let ca = folder.path + "/pki/ca.crt"
            let withCertificate = Curl(
                caFile: ca,
                clientCertificate: (folder.pki.client.chainFile, folder.pki.client.keyFile)
            )
            let withoutCertificate = Curl(caFile: ca, clientCertificate: nil)

            let both = try await withCertificate.run(url, ["-H", "X-API-Key: s3cret"])
            #expect(both.status == 200, "\(both.text)")
            #expect(both.text.contains("\"verified\":true"))

            let certificateAlone = try await withCertificate.run(url)
            #expect(certificateAlone.status == 401)
            #expect(
                certificateAlone.headers.lowercased().contains("www-authenticate: apikey"),
                "\(certificateAlone.headers)"
            )

            let wrongKey = try await withCertificate.run(url, ["-H", "X-API-Key: guess"])
            #expect(wrongKey.status == 401)

            let keyAlone = try await withoutCertificate.run(url, ["-H", "X-API-Key: s3cret"])
            #expect(keyAlone.status == 403)
            #expect(keyAlone.text.contains("Invalid client certificate"))
        }
    }

    /// A step of two names needs one: an authenticator without its credential lets the next try, a refused
    /// credential ends the request, and when neither applies the route answers the first one's challenge.
    @Test func aStepOfSeveralNamesNeedsOne() async throws {
        let folder = try ConfigurationFolder()
        let file = try folder.write(Self.yaml())
        try await withConfiguredServer(file, authenticators: Self.authenticators()) { _, port in
            let url = "https://127.0.0.1:\(port)/either"
            let curl = Curl(caFile: folder.path + "/pki/ca.crt", clientCertificate: nil)
            let none = try await curl.run(url)
            #expect(none.status == 401)
            #expect(none.headers.lowercased().contains("www-authenticate: apikey"))
            #expect(try await curl.run(url, ["-H", "X-API-Key: s3cret"]).status == 200)
            #expect(try await curl.run(url, ["-H", "X-Other-Key: other"]).status == 200)
            #expect(try await curl.run(url, ["-H", "X-Other-Key: guess", "-H", "X-API-Key: s3cret"]).status == 401)
        }
    }

    @Test func anUnregisteredAuthenticatorIsAConfigurationErrorWithItsLine() throws {
        let folder = try ConfigurationFolder()
        let file = try folder.write(Self.yaml())
        let loader = ConfigurationLoader(functionNames: FunctionRegistry.builtIn.names, authenticatorNames: ["apiKey"])
        let error = #expect(throws: ConfigurationError.self) { try loader.load(file: file) }
        let text = "\(error.map { "\($0)" } ?? "")"
        #expect(text.contains("gatehouse.yaml:10"), "\(text)")
        #expect(text.contains("routes[1].authenticators[0][0]"), "\(text)")
        #expect(text.contains("unknown authenticator 'other' (registered: apiKey)"), "\(text)")
    }
}
