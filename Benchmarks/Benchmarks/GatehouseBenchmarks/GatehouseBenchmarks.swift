import Benchmark

/// Every Gatehouse micro-benchmark, measured for wall clock, CPU instructions and allocations.
///
/// Thresholds live in `Benchmarks/Thresholds/` (written by `benchmark thresholds update`); `benchmark
/// thresholds check` fails when a metric regresses beyond the tolerance below. Benchmark names contain no spaces
/// or slashes: package-benchmark writes threshold files with those replaced by `_` but looks them up by the
/// name as given, so only such names survive the round trip.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .instructions, .mallocCountTotal],
        timeUnits: .nanoseconds,
        warmupIterations: 10,
        scalingFactor: .one,
        maxDuration: .seconds(2),
        maxIterations: 1_000_000,
        thresholds: [
            // Wall clock on the project's VMs moves by half from one run to the next (DN compare's p90: 16.2 then
            // 24.6 µs back to back), so only a doubling fails; mallocs are exact and instructions, where the
            // kernel exposes them, steady.
            .wallClock: .init(relative: [.p90: 100]),
            .instructions: .init(relative: [.p90: 5]),
            .mallocCountTotal: .init(absolute: [.p90: 0]),
        ]
    )
    registerPolicyBenchmarks()
    registerDistinguishedNameBenchmarks()
    registerRouterBenchmarks()
    registerRequestHeadBenchmarks()
    registerChainBenchmarks()
}

extension Benchmark.Configuration {
    /// The default configuration, with 1,000 iterations per sample for operations that take well under a
    /// microsecond (metrics are still reported per iteration).
    ///
    /// A sample's malloc count is its 1,000 iterations' together with the harness's own, which moves by a few from
    /// run to run (16 to 18 for the cached decision, which allocates nothing): it may move by 50, far below the
    /// 1,000 that a single allocation per iteration adds.
    static var kiloIterations: Benchmark.Configuration {
        var configuration = Benchmark.defaultConfiguration
        configuration.scalingFactor = .kilo
        configuration.thresholds?[.mallocCountTotal] = .init(absolute: [.p90: 50])
        return configuration
    }
}
