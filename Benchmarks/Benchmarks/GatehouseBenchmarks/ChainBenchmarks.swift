import Benchmark
import GatehouseAuth
import GatehouseConfiguration
import GatehouseFunctions
import GatehouseRouting
@_spi(Benchmarks) import GatehouseTransport
import HTTPTypes

/// The whole request chain of the default `gatehouse serve` configuration, without the protocol layer.
func registerChainBenchmarks() {
    // What ServiceAssembly builds for DefaultConfiguration under `--log-level warning`, behind the ResponderHandle a
    // reload swaps: the router (no request logger: its lines would be dropped), the policy's authentication
    // middleware on /api/hello and /api/whoami, and Hello. The connection's decision is already cached.
    // `.async` is the task's path (`respond`); `.immediate` the one the connection tries first (the package-level
    // `respondImmediately`, reached here through `FastPathResponder`),
    // which answers every request of this configuration.
    Benchmark("RequestChain.getApiHelloDefaultConfiguration.async", configuration: .kiloIterations) { benchmark in
        let (chain, request, context) = try defaultChain()
        guard try await chain.respond(to: request, context: context).status == .ok else {
            throw BenchmarkFailure("the chain did not answer 200")
        }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try await chain.respond(to: request, context: context))
        }
    }

    Benchmark("RequestChain.getApiHelloDefaultConfiguration.immediate", configuration: .kiloIterations) { benchmark in
        let (handle, request, context) = try defaultChain()
        let chain = FastPathResponder(handle)
        guard try chain.respondImmediately(to: request, context: context)?.status == .ok else {
            throw BenchmarkFailure("the chain did not answer 200 without suspending")
        }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try chain.respondImmediately(to: request, context: context))
        }
    }
}

/// The default configuration's chain, a `GET /api/hello?name=bench` and a fresh context (the first request on it
/// makes the connection's decision).
private func defaultChain() throws -> (ResponderHandle, Request, RequestContext) {
    let fixture = try PolicyFixture.make(identities: 0)
    let authentication = fixture.authenticator.middleware()
    var routes = RouterBuilder()
    try routes.add("/api/hello", function: Hello(), middleware: [authentication])
    try routes.add("/api/whoami", function: WhoAmI(), middleware: [authentication])
    try routes.add("/healthz", function: Health())
    let request = Request(
        head: HTTPRequest(
            method: .get,
            scheme: "https",
            authority: "127.0.0.1",
            path: "/api/hello?name=bench"
        )
    )
    return (ResponderHandle(routes.build()), request, fixture.context())
}
