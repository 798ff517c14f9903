import Foundation
import GatehouseAuth
import GatehouseCertificates
import GatehouseConfiguration
import GatehouseTransport
import HTTPTypes
import Logging
import TestSupport
import Testing

/// Writes `yaml` as `gatehouse.yaml` into a new folder next to copies of the test PKI's files.
func writeConfiguration(_ yaml: String) throws -> String {
    let pki = try TestPKI.shared()
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("config-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory + "/pki/clients", withIntermediateDirectories: true)
    for (source, name) in [
        (pki.server.chainFile, "server.crt"), (pki.server.keyFile, "server.key"), (pki.rootCAFile, "ca.crt"),
        (pki.client.certificateFile, "clients/client.crt"), (pki.clientPFXFile, "server.pfx"),
    ] {
        try FileManager.default.copyItem(atPath: source, toPath: directory + "/pki/" + name)
    }
    let file = directory + "/gatehouse.yaml"
    try yaml.write(toFile: file, atomically: true, encoding: .utf8)
    return file
}

let loader = ConfigurationLoader(functionNames: ["hello", "health", "whoami"], environment: ["PFX_PASSWORD": "s3cret"])

let validConfiguration = """
    listeners:
      - host: 127.0.0.1
        port: 8443
        protocols: [h2, http/1.1]
        tls:
          certificate: pki/server.crt
          privateKey: pki/server.key
          clientCertificate: request
          trustedCAs: [pki/ca.crt]
        limits: { maxBodySize: 2048, idleTimeout: 5s, requestHeadTimeout: 500ms }
      - host: "::1"
        port: 9443
        tls: { pkcs12: pki/server.pfx, password: "${PFX_PASSWORD}" }
    policies:
      partners:
        trustedCAs: [pki/ca.crt]
        certificates: [pki/clients/]
        identities:
          - subject: "CN=client, O=Gatehouse Tests"
          - thumbprint: "3F:2A:4B:5C:6D:7E:8F:90:1A:2B:3C:4D:5E:6F:70:81:92:A3:B4:C5"
    routes:
      - { path: /api/hello, methods: [GET], function: hello, policy: partners }
      - { path: /healthz, function: health }
    """

/// ``validConfiguration`` with named listeners and routes served on some of them.
let namedListeners =
    validConfiguration
    .replacingOccurrences(of: "  - host: 127.0.0.1", with: "  - name: edge\n    host: 127.0.0.1")
    .replacingOccurrences(of: "  - host: \"::1\"", with: "  - name: admin\n    host: \"::1\"")
    .replacingOccurrences(of: "policy: partners }", with: "policy: partners, listeners: [edge, admin] }")
    .replacingOccurrences(of: "function: health }", with: "function: health, listeners: admin }")

/// ``validConfiguration`` with the PKCS#12 password written out, for assembling it in this process.
let assemblable = validConfiguration.replacingOccurrences(of: "${PFX_PASSWORD}", with: "gatehouse-test")

@Suite struct ConfigurationLoaderTests {
    @Test func readsTheStreamingBufferLimits() throws {
        let file = try writeConfiguration(
            validConfiguration.replacingOccurrences(
                of: "requestHeadTimeout: 500ms }",
                with:
                    "requestHeadTimeout: 500ms, maxUnreadStreamedBodyBytes: 64KiB, maxQueuedResponseBytesPerStream: 1MiB }"
            )
        )
        let limits = try loader.load(file: file).listeners[0].limits
        #expect(limits.maxUnreadStreamedBodyBytes == 64 * 1024)
        #expect(limits.maxQueuedResponseBytesPerStream == 1024 * 1024)
        #expect(ConnectionLimits().maxUnreadStreamedBodyBytes == 256 * 1024)
        let tooSmall = try writeConfiguration(
            validConfiguration.replacingOccurrences(
                of: "requestHeadTimeout: 500ms }",
                with: "requestHeadTimeout: 500ms, maxQueuedResponseBytesPerStream: 1KiB }"
            )
        )
        #expect {
            try loader.load(file: tooSmall)
        } throws: { error in
            "\(error)".contains("listeners[0].limits.maxQueuedResponseBytesPerStream")
                && "\(error)".contains("must be between 16384 and 1073741824")
        }
    }

    @Test func readsAFullConfiguration() throws {
        let file = try writeConfiguration(validConfiguration)
        let configuration = try loader.load(file: file)
        let directory = (file as NSString).deletingLastPathComponent
        #expect(configuration.listeners.count == 2)
        let first = configuration.listeners[0]
        #expect(
            first.tls.identity
                == .pem(
                    certificateChainFile: directory + "/pki/server.crt",
                    privateKeyFile: directory + "/pki/server.key"
                )
        )
        #expect(first.tls.trustedCAFiles == [directory + "/pki/ca.crt"])
        #expect(first.limits.maxBodySize == 2048)
        #expect(first.limits.idleTimeout == .seconds(5))
        #expect(first.limits.requestHeadTimeout == .milliseconds(500))
        #expect(
            configuration.listeners[1].tls.identity == .pkcs12(file: directory + "/pki/server.pfx", password: "s3cret")
        )
        #expect(configuration.listeners[1].host == "::1")
        let partners = try #require(configuration.policies.first)
        #expect(partners.name == "partners")
        #expect(partners.configuration.certificates == [directory + "/pki/clients"])
        #expect(partners.configuration.identities.count == 2)
        #expect(partners.configuration.identities[0].subject == "CN=client, O=Gatehouse Tests")
        #expect(configuration.routes.map(\.function) == ["hello", "health"])
        #expect(configuration.routes[0].policy == "partners")
        #expect(configuration.routes[1].methods == [.get])
    }

    @Test func listenersMayBeNamedAndRoutesServedOnSomeOfThem() throws {
        let configuration = try loader.load(file: try writeConfiguration(namedListeners))
        #expect(configuration.listeners.map(\.name) == ["edge", "admin"])
        #expect(configuration.routes.map(\.listeners) == [["edge", "admin"], ["admin"]])
        let (edge, admin) = (configuration.listeners[0], configuration.listeners[1])
        #expect(configuration.routes[0].isServed(on: edge) && configuration.routes[0].isServed(on: admin))
        #expect(!configuration.routes[1].isServed(on: edge) && configuration.routes[1].isServed(on: admin))
        // Without `listeners`, a route is served everywhere, on unnamed listeners too.
        let plain = try loader.load(file: try writeConfiguration(validConfiguration))
        #expect(plain.listeners.allSatisfy { $0.name == nil })
        #expect(plain.routes.allSatisfy { $0.listeners == nil && $0.isServed(on: plain.listeners[0]) })
    }

    @Test func aRouteNamingAnUnknownListenerIsRefusedInAConfigurationBuiltInCode() throws {
        var configuration = try loader.load(file: try writeConfiguration(assemblable))
        configuration.routes[0].listeners = ["nowhere"]
        let error = #expect(throws: ConfigurationError.self) {
            try GatehouseService(
                configuration: configuration,
                logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
            )
        }
        #expect(error?.keyPath == "routes[0].listeners")
        #expect(error?.problem == "unknown listener 'nowhere'")
    }

    @Test func jsonIsValidYAML() throws {
        let file = try writeConfiguration(
            """
            {"listeners": [{"port": 0, "tls": {"certificate": "pki/server.crt", "privateKey": "pki/server.key"}}],
             "routes": [{"path": "/healthz", "function": "health"}]}
            """
        )
        #expect(try loader.load(file: file).listeners[0].port == 0)
    }

    /// Each broken configuration and the message it must produce (after `gatehouse.yaml:LINE: `).
    static let brokenConfigurations: [(String, String, String)] = [
        (
            "listeners: []\nroutes: []", "listeners", "at least one listener is required"
        ),
        (
            validConfiguration.replacingOccurrences(of: "protocols:", with: "protocol:"),
            "listeners[0].protocol",
            "unknown key (expected one of: host, limits, name, port, protocols, tls, trustForwardedClientCertificate)"
        ),
        (
            validConfiguration.replacingOccurrences(
                of: "certificate: pki/server.crt",
                with: "certificate: pki/missing.crt"
            ),
            "listeners[0].tls.certificate", "no such file:"
        ),
        (
            validConfiguration.replacingOccurrences(of: "policy: partners", with: "policy: vendors"),
            "routes[0].policy", "unknown policy 'vendors' (defined: partners)"
        ),
        (
            validConfiguration.replacingOccurrences(of: "function: health", with: "function: goodbye"),
            "routes[1].function", "unknown function 'goodbye' (known: health, hello, whoami)"
        ),
        (
            validConfiguration.replacingOccurrences(of: "${PFX_PASSWORD}", with: "${NOT_SET}"),
            "listeners[1].tls.password", "environment variable NOT_SET is not set"
        ),
        (
            validConfiguration.replacingOccurrences(
                of: "clientCertificate: request\n      trustedCAs: [pki/ca.crt]",
                with: "clientCertificate: require"
            ),
            "listeners[0].tls.clientCertificate", "require needs trustedCAs"
        ),
        (
            validConfiguration.replacingOccurrences(of: "clientCertificate: request", with: "clientCertificate: maybe"),
            "listeners[0].tls.clientCertificate", "'maybe' is not one of none | request | require"
        ),
        (
            validConfiguration.replacingOccurrences(of: "idleTimeout: 5s", with: "idleTimeout: soon"),
            "listeners[0].limits.idleTimeout", "expected a duration"
        ),
        (
            validConfiguration.replacingOccurrences(of: "- subject: \"CN=client, O=Gatehouse Tests\"", with: "- {}"),
            "policies.partners.identities[0]", "an identity needs at least one field"
        ),
        (
            "listeners: [\n", "", "not valid YAML"
        ),
        (
            namedListeners.replacingOccurrences(of: "name: admin", with: "name: edge"),
            "listeners[1].name", "'edge' is already the name of listeners[0]"
        ),
        (
            namedListeners.replacingOccurrences(of: "name: admin", with: "name: a b"),
            "listeners[1].name", "'a b': use letters, digits"
        ),
        (
            namedListeners.replacingOccurrences(of: "listeners: [edge, admin]", with: "listeners: [edge, nope]"),
            "routes[0].listeners[1]", "unknown listener 'nope' (named: admin, edge)"
        ),
        (
            validConfiguration.replacingOccurrences(
                of: "function: health }",
                with: "function: health, listeners: edge }"
            ),
            "routes[1].listeners", "unknown listener 'edge' (no listener has a name)"
        ),
        (
            namedListeners.replacingOccurrences(of: "listeners: [edge, admin]", with: "listeners: []"),
            "routes[0].listeners", "name at least one listener"
        ),
        (
            validConfiguration + "\nverificationCache: { maxEntries: 0 }",
            "verificationCache.maxEntries", "must be between 1 and 10000000"
        ),
        (
            validConfiguration + "\nverificationCache: { maxBytes: 1KiB }",
            "verificationCache.maxBytes", "must be between 65536 and 17179869184"
        ),
        (
            validConfiguration + "\nverificationCache: { entries: 10 }",
            "verificationCache.entries", "unknown key (expected one of: maxBytes, maxEntries)"
        ),
    ]

    @Test func readsTheVerificationCacheBounds() throws {
        #expect(
            try loader.load(file: writeConfiguration(validConfiguration)).verificationCache == VerificationCacheLimits()
        )
        let yaml = validConfiguration + "\nverificationCache: { maxEntries: 500, maxBytes: 8MiB }"
        let configuration = try loader.load(file: writeConfiguration(yaml))
        #expect(configuration.verificationCache == VerificationCacheLimits(maxEntries: 500, maxBytes: 8 << 20))
    }

    @Test(arguments: brokenConfigurations)
    func brokenConfigurationNamesFileKeyAndProblem(yaml: String, keyPath: String, problem: String) throws {
        let file = try writeConfiguration(yaml)
        let error = #expect(throws: ConfigurationError.self) { try loader.load(file: file) }
        #expect(error?.file == file)
        #expect(error?.keyPath == keyPath)
        #expect(error?.problem.hasPrefix(problem) == true, "\(error?.description ?? "")")
        #expect(error?.description.hasPrefix(file) == true)
    }

    /// Errors found when the configuration is assembled: trust material is read and combinations are judged.
    static let refusedAtAssembly: [(String, String, String)] = [
        (
            assemblable.replacingOccurrences(
                of: "trustedCAs: [pki/ca.crt]\n    certificates:",
                with: "validateTrust: false\n    certificates:"
            )
            .replacingOccurrences(of: "    certificates: [pki/clients/]\n", with: "")
            .replacingOccurrences(
                of: "      - thumbprint: \"3F:2A:4B:5C:6D:7E:8F:90:1A:2B:3C:4D:5E:6F:70:81:92:A3:B4:C5\"\n",
                with: ""
            ),
            "policies.partners.validateTrust", "validateTrust is false and nothing is pinned"
        ),
        (
            assemblable.replacingOccurrences(
                of: "    trustedCAs: [pki/ca.crt]\n    certificates:",
                with: "    trustedCAs: [pki/server.key]\n    certificates:"
            ),
            "policies.partners.trustedCAs[0]", ""
        ),
    ]

    @Test(arguments: refusedAtAssembly)
    func refusedWhenAssembled(yaml: String, keyPath: String, problem: String) throws {
        let file = try writeConfiguration(yaml)
        let error = #expect(throws: ConfigurationError.self) {
            try GatehouseService(
                configurationFile: file,
                logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
            )
        }
        #expect(error?.file == file)
        #expect(error?.keyPath == keyPath, "\(error?.description ?? "")")
        #expect(error?.problem.hasPrefix(problem) == true, "\(error?.description ?? "")")
    }

    @Test func aValidConfigurationAssembles() async throws {
        let file = try writeConfiguration(assemblable)
        let service = try GatehouseService(
            configurationFile: file,
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        )
        let watched = await service.watchedPaths
        #expect(watched.contains(file))
        #expect(watched.contains { $0.hasSuffix("/pki/clients") })
    }

    @Test func missingFileIsNamed() {
        let error = #expect(throws: ConfigurationError.self) { try loader.load(file: "/nonexistent/gatehouse.yaml") }
        #expect(error?.description == "/nonexistent/gatehouse.yaml: cannot read the file")
    }

    @Test func errorsCarryTheLine() throws {
        let file = try writeConfiguration(
            validConfiguration.replacingOccurrences(of: "function: goodbye", with: "")
                .replacingOccurrences(of: "function: health", with: "function: goodbye")
        )
        let error = #expect(throws: ConfigurationError.self) { try loader.load(file: file) }
        #expect(error?.line == 23)
    }
}
