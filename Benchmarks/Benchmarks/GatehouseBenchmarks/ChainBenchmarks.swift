import Auth
import Benchmark
import Functions
import Configuration
import HTTPTypes
import Logging
import Routing
import Transport

/// The whole request chain of the default `gatehouse serve` configuration, without the protocol layer.
func registerChainBenchmarks() {
    // What ServiceAssembly builds for DefaultConfiguration, behind the ResponderHandle a reload swaps: the request
    // logger (its level above info, as under `--log-level warning`), the router, the policy's authentication
    // middleware on /api/hello and /api/whoami, and Hello. The connection's decision is already cached.
    Benchmark("Request chain, GET /api/hello (default configuration)", configuration: .kiloIterations) { benchmark in
        let fixture = try PolicyFixture.make(identities: 0)
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        let authentication = AuthenticationMiddleware(fixture.authenticator)
        var routes = RouterBuilder()
        try routes.add("/api/hello", function: Hello(), middleware: [authentication])
        try routes.add("/api/whoami", function: WhoAmI(), middleware: [authentication])
        try routes.add("/healthz", function: Health())
        let chain = ResponderHandle([RequestLogger(logger: logger) as any Middleware].chained(to: routes.build()))
        let context = fixture.context()
        let request = Request(head: HTTPRequest(method: .get, scheme: "https", authority: "127.0.0.1",
                                                path: "/api/hello?name=bench"))
        guard try await chain.respond(to: request, context: context).status == .ok else {
            throw BenchmarkFailure("the chain did not answer 200")
        }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try await chain.respond(to: request, context: context))
        }
    }
}
