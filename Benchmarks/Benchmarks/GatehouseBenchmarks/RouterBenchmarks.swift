import Benchmark
import GatehouseRouting
import GatehouseTransport
import HTTPTypes

/// Finding one route among 100 and running its (trivial) function through `Router.respond`.
func registerRouterBenchmarks() {
    Benchmark("Router.lookupAmong100Routes", configuration: .kiloIterations) { benchmark in
        var routes = RouterBuilder()
        for index in 0..<90 {
            try routes.add("/api/v1/service\(index)/items", function: Ok())
        }
        for index in 0..<10 {
            try routes.add("/api/v2/service\(index)/items/{id}", function: Ok())
        }
        let router = routes.build()
        let request = Request(
            head: HTTPRequest(
                method: .get,
                scheme: "https",
                authority: "127.0.0.1",
                path: "/api/v2/service7/items/42?verbose=1"
            )
        )
        let context = PolicyFixture.emptyContext()
        guard try await router.respond(to: request, context: context).status == .ok else {
            throw BenchmarkFailure("the router did not find the route")
        }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try await router.respond(to: request, context: context))
        }
    }
}

/// A function that answers 200 with no body, so the router's own work dominates.
struct Ok: Function {
    func respond(to request: Request, context: RequestContext) async throws -> Response {
        Response(status: .ok)
    }
}

extension PolicyFixture {
    /// The context of a request on a connection without a client certificate.
    static func emptyContext() -> RequestContext {
        let tls = TLSSessionInfo(
            protocolVersion: "TLSv1.3",
            cipher: "TLS_AES_128_GCM_SHA256",
            alpn: "h2",
            peerCertificates: [],
            verifyResult: nil,
            isResumed: false
        )
        let connection = ConnectionInfo(id: 1, remoteAddress: nil, localAddress: nil, httpVersion: .http2, tls: tls)
        return RequestContext(connection: connection, connectionStore: ConnectionStore())
    }
}
