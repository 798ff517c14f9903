// swift-tools-version:6.1
import PackageDescription

/// `percentiles`: latency percentiles of h2load per-request logs, computed with HdrHistogram. A package of its own so
/// that `make bench` builds it in seconds, without the benchmark package's Hummingbird and package-benchmark graph.
let package = Package(
    name: "Percentiles",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", exact: "0.2.0")
    ],
    targets: [
        .executableTarget(
            name: "Percentiles",
            dependencies: [.product(name: "Histogram", package: "hdrhistogram-swift")],
            swiftSettings: [
                .enableUpcomingFeature("ExistentialAny"),
                .enableUpcomingFeature("InternalImportsByDefault"),
                .enableUpcomingFeature("MemberImportVisibility"),
                .enableUpcomingFeature("NonisolatedNonsendingByDefault"),
            ]
        )
    ]
)
