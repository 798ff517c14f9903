// swift-tools-version:6.1
import PackageDescription

/// Every Swift target compiles in Swift 6 mode with these features (see STYLE.md §1).
/// `NonisolatedNonsendingByDefault` keeps middleware and functions on the connection's event loop:
/// a nonisolated async call runs on its caller's executor instead of hopping to the global pool.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("NonisolatedNonsendingByDefault"),
]

let nioCore: Target.Dependency = .product(name: "NIOCore", package: "swift-nio")
let nioPosix: Target.Dependency = .product(name: "NIOPosix", package: "swift-nio")
let nioHTTP1: Target.Dependency = .product(name: "NIOHTTP1", package: "swift-nio")
let nioEmbedded: Target.Dependency = .product(name: "NIOEmbedded", package: "swift-nio")
let httpTypes: Target.Dependency = .product(name: "HTTPTypes", package: "swift-http-types")
let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")
let serviceLifecycle: Target.Dependency = .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
let unixSignals: Target.Dependency = .product(name: "UnixSignals", package: "swift-service-lifecycle")
let argumentParser: Target.Dependency = .product(name: "ArgumentParser", package: "swift-argument-parser")
let metrics: Target.Dependency = .product(name: "Metrics", package: "swift-metrics")
let prometheus: Target.Dependency = .product(name: "Prometheus", package: "swift-prometheus")
let tracing: Target.Dependency = .product(name: "Tracing", package: "swift-distributed-tracing")
let jwtKit: Target.Dependency = .product(name: "JWTKit", package: "jwt-kit")
let structuredFieldValues: Target.Dependency = .product(
    name: "StructuredFieldValues",
    package: "swift-http-structured-headers"
)

let package = Package(
    name: "gatehouse",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "gatehouse", targets: ["App"]),
        .library(name: "Gatehouse", targets: ["Gatehouse"]),
        .library(name: "GatehouseTesting", targets: ["GatehouseTesting"]),
        .library(name: "GatehouseCertificateAuthority", targets: ["GatehouseCertificateAuthority"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // Instruments (Metrics), their Prometheus exposition on the admin listener, and request spans (Tracing).
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.7.3"),
        // Certificate-bound access tokens (RFC 8705): JWT and JWKS parsing and ES256/RS256 signatures.
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
        // RFC 9440 `Client-Cert` / `Client-Cert-Chain` (structured fields: sf-binary, sf-list).
        .package(url: "https://github.com/apple/swift-http-structured-headers", from: "1.7.0"),
        // `swift package generate-documentation --target Gatehouse` (`make docs`); a plugin only, never linked.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(
            name: "CNghttp2",
            pkgConfig: "libnghttp2",
            providers: [.apt(["libnghttp2-dev"])]
        ),
        .target(
            name: "GatehouseCertificates",
            dependencies: ["COpenSSL"],
            path: "Sources/Certificates",
            swiftSettings: strictSettings
        ),
        .target(
            name: "GatehouseCertificateAuthority",
            dependencies: ["GatehouseCertificates", "COpenSSL"],
            path: "Sources/CertificateAuthority",
            swiftSettings: strictSettings
        ),
        .target(
            name: "GatehouseTransport",
            dependencies: [
                "GatehouseCertificates", "COpenSSL", "CNghttp2", nioCore, nioPosix, httpTypes, logging,
                serviceLifecycle, metrics, tracing,
            ],
            path: "Sources/Transport",
            swiftSettings: strictSettings
        ),
        .target(
            name: "GatehouseAuth",
            dependencies: [
                "GatehouseTransport", "GatehouseCertificates", "COpenSSL", httpTypes, logging, metrics,
                structuredFieldValues,
                nioCore, nioPosix, nioHTTP1,
            ],
            path: "Sources/Auth",
            swiftSettings: strictSettings
        ),
        .target(
            name: "GatehouseBoundToken",
            dependencies: [
                "GatehouseAuth", "GatehouseTransport", "GatehouseCertificates", httpTypes, logging, nioCore, jwtKit,
            ],
            path: "Sources/BoundToken",
            swiftSettings: strictSettings
        ),
        .target(
            name: "GatehouseRouting",
            dependencies: ["GatehouseTransport", httpTypes],
            path: "Sources/Routing",
            swiftSettings: strictSettings
        ),
        .target(
            name: "GatehouseFunctions",
            dependencies: ["GatehouseRouting", "GatehouseTransport", "GatehouseAuth", httpTypes, nioCore],
            path: "Sources/Functions",
            swiftSettings: strictSettings
        ),
        .target(
            name: "GatehouseConfiguration",
            dependencies: [
                "GatehouseAuth", "GatehouseRouting", "GatehouseFunctions", "GatehouseTransport", httpTypes, logging,
                serviceLifecycle, unixSignals, metrics, prometheus, .product(name: "Yams", package: "Yams"),
                "GatehouseBoundToken",
                "GatehouseGateway", "GatehouseClient",
            ],
            path: "Sources/Configuration",
            swiftSettings: strictSettings
        ),
        .target(
            name: "GatehouseClient",
            dependencies: [
                "GatehouseTransport", "GatehouseCertificates", "CNghttp2", "COpenSSL", nioCore, nioPosix, httpTypes,
                logging,
            ],
            path: "Sources/Client",
            swiftSettings: strictSettings
        ),
        .target(
            name: "GatehouseGateway",
            dependencies: [
                "GatehouseClient", "GatehouseRouting", "GatehouseTransport", "GatehouseCertificates", "GatehouseAuth",
                httpTypes, nioCore, logging,
                structuredFieldValues,
            ],
            path: "Sources/Gateway",
            swiftSettings: strictSettings
        ),
        .target(
            name: "Gatehouse",
            dependencies: [
                "GatehouseGateway",
                "GatehouseAuth", "GatehouseCertificates", "GatehouseClient", "GatehouseConfiguration",
                "GatehouseFunctions", "GatehouseRouting", "GatehouseTransport", httpTypes, logging,
                serviceLifecycle, "GatehouseBoundToken",
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "GatehouseTesting",
            dependencies: [
                "GatehouseCertificateAuthority", "GatehouseCertificates", "GatehouseClient",
                "GatehouseConfiguration", "GatehouseTransport", "COpenSSL", httpTypes, logging, nioCore,
                serviceLifecycle,
            ],
            path: "Sources/Testing",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "App",
            dependencies: [
                "GatehouseConfiguration", "GatehouseFunctions", "GatehouseRouting", "GatehouseAuth",
                "GatehouseTransport", "GatehouseCertificates", "GatehouseCertificateAuthority", "GatehouseClient",
                argumentParser, logging,
                serviceLifecycle, unixSignals, nioCore, nioPosix, httpTypes, metrics, prometheus,
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "HelloServiceExample",
            dependencies: ["Gatehouse"],
            path: "Examples/HelloService",
            swiftSettings: [.enableUpcomingFeature("NonisolatedNonsendingByDefault")]
        ),
        .executableTarget(
            name: "StreamingTestServer",
            dependencies: ["GatehouseRouting", "GatehouseTransport", nioCore, httpTypes, logging],
            path: "Tests/StreamingTestServer",
            swiftSettings: strictSettings
        ),
        .target(
            name: "TestSupport",
            dependencies: [
                "GatehouseTesting", "GatehouseCertificateAuthority", "GatehouseCertificates",
                "GatehouseTransport", "COpenSSL", nioCore, nioPosix,
            ],
            path: "Tests/TestSupport",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "CertificatesTests",
            dependencies: ["GatehouseCertificateAuthority", "GatehouseCertificates", "TestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "TransportTests",
            dependencies: [
                "GatehouseCertificateAuthority", "GatehouseTransport", "GatehouseCertificates", "TestSupport",
                "CNghttp2", "COpenSSL", nioCore, nioEmbedded,
                nioPosix, nioHTTP1, httpTypes, logging,
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "AuthTests",
            dependencies: [
                "GatehouseAuth", "GatehouseTransport", "GatehouseCertificates", "TestSupport", httpTypes, logging,
                nioCore,
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "RoutingTests",
            dependencies: ["GatehouseRouting", "GatehouseTransport", httpTypes, nioCore],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "FunctionsTests",
            dependencies: [
                "GatehouseCertificateAuthority", "GatehouseFunctions", "GatehouseRouting", "GatehouseTransport",
                "GatehouseAuth", "GatehouseCertificates", "TestSupport", httpTypes, nioCore,
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ConfigurationTests",
            dependencies: [
                "GatehouseConfiguration", "GatehouseAuth", "GatehouseCertificates", "GatehouseTransport", "TestSupport",
                httpTypes, logging,
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "BoundTokenTests",
            dependencies: [
                "GatehouseBoundToken", "GatehouseConfiguration", "GatehouseAuth", "GatehouseTransport",
                "GatehouseCertificates", "GatehouseClient", "GatehouseTesting", "TestSupport", "GatehouseRouting",
                httpTypes, logging, nioCore, jwtKit,
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ClientTests",
            dependencies: [
                "GatehouseCertificateAuthority", "GatehouseClient", "GatehouseTransport", "GatehouseRouting",
                "GatehouseFunctions", "GatehouseAuth", "GatehouseCertificates", "TestSupport",
                nioCore, nioPosix, httpTypes, logging,
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "GatewayTests",
            dependencies: [
                "GatehouseGateway", "GatehouseClient", "GatehouseConfiguration", "GatehouseCertificateAuthority",
                "GatehouseTesting",
                "GatehouseRouting", "GatehouseTransport", "GatehouseCertificates", "TestSupport", nioCore, nioPosix,
                httpTypes, logging, structuredFieldValues,
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "GatehouseTesting",
                "GatehouseCertificateAuthority", "GatehouseFunctions", "GatehouseRouting", "GatehouseAuth",
                "GatehouseTransport", "GatehouseCertificates", "GatehouseConfiguration", "GatehouseClient",
                "TestSupport", nioCore, nioPosix, httpTypes, logging, serviceLifecycle, metrics, prometheus, tracing,
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"), jwtKit,
            ],
            swiftSettings: strictSettings
        ),
    ]
)

// MARK: Fuzzing (Fuzz/README.md)

/// The per-target fuzz bodies, shared by the libFuzzer driver and the corpus replay tests. The HTTP/1.x parser is
/// internal to Transport, so its targets use `@testable import`, which only a testable (debug) build allows.
package.targets.append(
    .target(
        name: "FuzzTargets",
        dependencies: [
            "GatehouseTransport", "GatehouseConfiguration", "GatehouseCertificates", nioCore, nioEmbedded, nioHTTP1,
            httpTypes,
        ],
        path: "Fuzz/Targets",
        swiftSettings: strictSettings + [.define("GATEHOUSE_TESTABLE", .when(configuration: .debug))]
    )
)
package.targets.append(
    .testTarget(
        name: "FuzzReplayTests",
        dependencies: ["FuzzTargets", "GatehouseCertificates"],
        swiftSettings: strictSettings
    )
)

/// `GATEHOUSE_FUZZ=1` (set by Fuzz/run.sh, which adds the sanitizer flags) adds the libFuzzer driver: ordinary
/// `swift build` and `swift test` never compile it.
if Context.environment["GATEHOUSE_FUZZ"] == "1" {
    package.targets.append(
        .executableTarget(
            name: "GatehouseFuzz",
            dependencies: ["FuzzTargets"],
            path: "Fuzz/Driver",
            swiftSettings: strictSettings
        )
    )
}
