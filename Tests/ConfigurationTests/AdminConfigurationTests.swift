import Foundation
import GatehouseConfiguration
import GatehouseTransport
import TestSupport
import Testing

/// The `admin:` and `expiryWarning` keys: what they accept, and each error with its file, key and line.
@Suite("Configuration: admin listener and expiry warning")
struct AdminConfigurationTests {
    static func yaml(_ admin: String) -> String {
        validConfiguration.replacingOccurrences(of: "policies:\n", with: admin + "\npolicies:\n")
    }

    @Test func adminIsOffUnlessConfigured() throws {
        let configuration = try loader.load(file: try writeConfiguration(validConfiguration))
        #expect(configuration.admin == nil)
        #expect(configuration.expiryWarning == .seconds(14 * 86_400))
    }

    @Test func loopbackAdminServesPlainHTTPWithItsOwnLimits() throws {
        let file = try writeConfiguration(Self.yaml("admin: { host: 127.0.0.1, port: 9100 }\nexpiryWarning: 30d"))
        let configuration = try loader.load(file: file)
        let admin = try #require(configuration.admin)
        #expect(admin.host == "127.0.0.1" && admin.port == 9100 && admin.tls == nil && admin.isLoopback)
        #expect(admin.limits.maxConnections == 64)
        #expect(configuration.expiryWarning == .seconds(30 * 86_400))
    }

    @Test func aPublicAdminWithTLSAndAPolicyIsAccepted() throws {
        let admin = """
            admin:
              host: 0.0.0.0
              port: 9100
              tls: { certificate: pki/server.crt, privateKey: pki/server.key, trustedCAs: [pki/ca.crt] }
              policy: partners
              limits: { maxConnections: 8 }
            """
        let configuration = try loader.load(file: try writeConfiguration(Self.yaml(admin)))
        #expect(configuration.admin?.policy == "partners")
        #expect(configuration.admin?.tls?.applicationProtocols == ["http/1.1"])
        #expect(configuration.admin?.limits.maxConnections == 8)
        #expect(configuration.admin?.limits.maxBodySize == 0)
    }

    @Test func aPublicAdminWithAllowInsecureIsAccepted() throws {
        let file = try writeConfiguration(Self.yaml("admin: { host: 0.0.0.0, port: 9100, allowInsecure: true }"))
        #expect(try loader.load(file: file).admin?.allowInsecure == true)
    }

    /// Each broken `admin:` and the key and problem its error names.
    static let broken: [(String, String, String)] = [
        ("admin: { host: 0.0.0.0, port: 9100 }", "admin.host", "'0.0.0.0' is not a loopback address"),
        (
            "admin: { host: 10.0.0.1, tls: { certificate: pki/server.crt, privateKey: pki/server.key } }",
            "admin.host", "'10.0.0.1' is not a loopback address: give the admin listener a policy:"
        ),
        ("admin: { policy: partners }", "admin.policy", "a policy checks client certificates, which need tls:"),
        (
            "admin: { policy: vendors, tls: { certificate: pki/server.crt, privateKey: pki/server.key } }",
            "admin.policy", "unknown policy 'vendors' (defined: partners)"
        ),
        ("admin: { port: 8443 }", "admin.port", "listeners[0] already listens on 127.0.0.1:8443"),
        ("admin: { port: 70000 }", "admin.port", "must be between 0 and 65535"),
        ("admin: { hots: 127.0.0.1 }", "admin.hots", "unknown key (expected one of: allowInsecure, host, limits"),
        ("admin: { limits: { maxConnections: 0 } }", "admin.limits.maxConnections", "must be between 1 and"),
        ("expiryWarning: soon", "expiryWarning", "expected a duration"),
        ("expiryWarning: 400d", "expiryWarning", "must be between"),
    ]

    @Test(arguments: broken)
    func brokenAdminNamesFileKeyAndLine(admin: String, keyPath: String, problem: String) throws {
        let file = try writeConfiguration(Self.yaml(admin))
        let error = #expect(throws: ConfigurationError.self) { try loader.load(file: file) }
        #expect(error?.file == file)
        #expect(error?.keyPath == keyPath, "\(error?.description ?? "")")
        #expect(error?.problem.hasPrefix(problem) == true, "\(error?.description ?? "")")
        // The admin entry is the file's first lines after `listeners`: its line is known and past the listeners'.
        #expect((error?.line ?? 0) > 10, "\(error?.description ?? "")")
    }
}
