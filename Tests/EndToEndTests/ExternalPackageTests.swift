import Foundation
import Testing

/// A package of a user's own, outside this repository, that depends on it by path and uses the `Gatehouse` and
/// `GatehouseTesting` products as the README shows: it is written, built and its tests run by `swift test`.
///
/// It lives in `.build/external-package/` (kept between runs, so only the first run compiles the dependencies) with
/// a scratch path of its own: the repository's `.build` is locked by the `swift test` that runs this test.
@Suite("A separate package built on Gatehouse", .serialized)
struct ExternalPackageTests {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// SwiftPM names a path dependency after its folder's last component, lowercased.
    static var identity: String { (repository as NSString).lastPathComponent.lowercased() }

    @Test(.timeLimit(.minutes(15)))
    func aUsersPackageBuildsAFunctionAndTestsItWithGatehouseTesting() async throws {
        let base = Self.repository + "/.build/external-package"
        let package = base + "/hello-user"
        try Self.writePackage(at: package)
        let started = Date()
        let result = try await runProcess(
            "/usr/bin/env",
            [
                "swift", "test", "--package-path", package, "--scratch-path", base + "/scratch",
            ]
        )
        let seconds = Int(Date().timeIntervalSince(started))
        #expect(result.exitCode == 0, "swift test in \(package) (\(seconds) s):\n\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("greetsTheCallerByItsCertificate"), "\(result.stdout)")
        #expect(!result.stdout.contains("failed"), "\(result.stdout)")
    }

    @Test func theReadmeShowsThisManifestAndThisTest() throws {
        let readme = try String(contentsOfFile: Self.repository + "/README.md", encoding: .utf8)
        #expect(readme.contains("```swift\n" + Self.tests + "```"))
        #expect(readme.contains("```swift\n" + Self.readmeManifest + "```"))
    }

    /// Writes the package: a library target with a function and its routes, and a test target that serves them.
    static func writePackage(at path: String) throws {
        let files: [(String, String)] = [
            ("Package.swift", Self.manifest),
            ("Sources/HelloService/Routes.swift", Self.routes),
            ("Sources/HelloServer/main.swift", Self.main),
            ("Tests/HelloServiceTests/GreetTests.swift", Self.tests),
        ]
        for (name, text) in files {
            let file = path + "/" + name
            try FileManager.default.createDirectory(
                atPath: (file as NSString).deletingLastPathComponent,
                withIntermediateDirectories: true
            )
            // Rewritten only when changed, so a second run builds nothing new.
            if (try? String(contentsOfFile: file, encoding: .utf8)) != text {
                try text.write(toFile: file, atomically: true, encoding: .utf8)
            }
        }
        // The repository's own pins, so the dependencies resolve to the versions it was built with.
        let pins = Self.repository + "/Package.resolved"
        if FileManager.default.fileExists(atPath: pins) {
            let copy = path + "/Package.resolved"
            if !FileManager.default.contentsEqual(atPath: pins, andPath: copy) {
                try? FileManager.default.removeItem(atPath: copy)
                try FileManager.default.copyItem(atPath: pins, toPath: copy)
            }
        }
    }

    /// The manifest the README shows, with this repository's path and identity.
    static var manifest: String {
        Self.readmeManifest
            .replacingOccurrences(of: "../gatehouse", with: repository)
            .replacingOccurrences(of: "package: \"gatehouse\"", with: "package: \"\(identity)\"")
    }

    /// The manifest of a user's service as the README shows it.
    static let readmeManifest = """
        // swift-tools-version:6.1
        import PackageDescription

        let package = Package(
            name: "hello-service",
            platforms: [.macOS(.v15)],
            dependencies: [
                .package(path: "../gatehouse"),
            ],
            targets: [
                .target(
                    name: "HelloService",
                    dependencies: [.product(name: "Gatehouse", package: "gatehouse")],
                    swiftSettings: [.enableUpcomingFeature("NonisolatedNonsendingByDefault")]
                ),
                .executableTarget(
                    name: "HelloServer",
                    dependencies: ["HelloService", .product(name: "Gatehouse", package: "gatehouse")],
                    swiftSettings: [.enableUpcomingFeature("NonisolatedNonsendingByDefault")]
                ),
                .testTarget(
                    name: "HelloServiceTests",
                    dependencies: ["HelloService", .product(name: "GatehouseTesting", package: "gatehouse")],
                    swiftSettings: [.enableUpcomingFeature("NonisolatedNonsendingByDefault")]
                ),
            ]
        )

        """

    static let main = """
        import Gatehouse
        import HelloService

        let logger = Logger(label: "hello-service")
        let tls = TLSConfiguration(
            identity: .pem(certificateChainFile: "pki/server.crt", privateKeyFile: "pki/server.key"))
        let server = Server(
            configuration: ServerConfiguration(listeners: [ListenerConfiguration(host: "127.0.0.1", port: 8443, tls: tls)]),
            responder: try makeRoutes(trustedCAFile: "pki/ca.crt", logger: logger),
            logger: logger
        )
        try await ServiceGroup(services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()

        """

    static let routes = """
        import Gatehouse

        /// Greets the caller by the subject of its client certificate.
        struct Greet: Function {
            func respond(to request: Request, context: RequestContext) async throws -> Response {
                let caller = context.identity(as: ClientCertificateIdentity.self)?.subject ?? "stranger"
                return .text("Hello, \\(caller).")
            }
        }

        /// The service's routes: `/greet` for callers whose certificate chains to `trustedCAFile`, and `/healthz`.
        public func makeRoutes(trustedCAFile: String, logger: Logger) throws -> Router {
            let authenticator = try ClientCertificateAuthenticator(trustedCAFiles: [trustedCAFile], logger: logger)
            var routes = RouterBuilder()
            try routes.add("/greet", function: Greet(), middleware: [authenticator.middleware()])
            try routes.add("/healthz", function: Health())
            return routes.build()
        }

        """

    /// The test the README shows, word for word.
    static let tests = """
        import Gatehouse
        import GatehouseTesting
        import HelloService
        import Testing

        @Test func greetsTheCallerByItsCertificate() async throws {
            let pki = try TestPKI.shared()
            let routes = try makeRoutes(trustedCAFile: pki.rootCAFile, logger: GatehouseTestServer.silentLogger)
            try await GatehouseTestServer.withServer(router: routes, pki: pki) { server in
                let response = try await server.client(.client("alice")).get("/greet")
                #expect(response.status.code == 200)
                #expect(response.bodyText == "Hello, CN=alice,O=Gatehouse Tests.")
                #expect(try await server.client(.none).get("/greet").status.code == 403)
                #expect(try await server.client(.untrusted).get("/greet").status.code == 403)
            }
        }

        """
}
