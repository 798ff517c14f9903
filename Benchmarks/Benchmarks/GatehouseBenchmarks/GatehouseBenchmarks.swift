import Benchmark

/// Every Gatehouse micro-benchmark, measured for wall clock, CPU instructions and allocations.
///
/// Thresholds live in `Benchmarks/Thresholds/` (written by `benchmark thresholds update`); `benchmark
/// thresholds check` fails when a metric regresses beyond the tolerance below.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .instructions, .mallocCountTotal],
        timeUnits: .nanoseconds,
        warmupIterations: 10,
        scalingFactor: .one,
        maxDuration: .seconds(2),
        maxIterations: 1_000_000,
        thresholds: [
            .wallClock: .init(relative: [.p90: 50]),
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
    static var kiloIterations: Benchmark.Configuration {
        var configuration = Benchmark.defaultConfiguration
        configuration.scalingFactor = .kilo
        return configuration
    }
}
