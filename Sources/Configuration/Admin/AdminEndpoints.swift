import Foundation
import GatehouseAuth
import GatehouseRouting
import GatehouseTransport
import HTTPTypes
import NIOCore

/// The admin listener's routes: `GET /metrics`, `GET /healthz`, `GET /readyz`; the router answers 404 for other
/// paths and 405 for other methods.
enum AdminEndpoints {
    /// The router; `/metrics` runs `metricsMiddleware` (the admin policy's authenticator) first, when given.
    static func router(
        metrics: ServiceMetrics,
        readiness: Readiness,
        metricsMiddleware: [any Middleware]
    ) throws -> Router {
        var routes = RouterBuilder()
        try routes.add("/metrics", function: MetricsExposition(metrics: metrics), middleware: metricsMiddleware)
        try routes.add("/healthz", function: Liveness())
        try routes.add("/readyz", function: ReadinessCheck(readiness: readiness))
        return routes.build()
    }
}

/// `GET /metrics`: the Prometheus text exposition format, version 0.0.4.
struct MetricsExposition: Function {
    let metrics: ServiceMetrics

    static let contentType: HTTPFields = [.contentType: "text/plain; version=0.0.4; charset=utf-8"]

    func respond(to request: Request, context: RequestContext) async throws -> Response {
        Response(status: .ok, headerFields: Self.contentType, body: ByteBuffer(bytes: self.metrics.exposition()))
    }
}

/// `GET /healthz`: 200 while the process runs.
struct Liveness: Function {
    func respond(to request: Request, context: RequestContext) async throws -> Response {
        .text("ok")
    }
}

/// `GET /readyz`: 200 `ready` once every listener is bound and the configuration loaded; 503 `starting` before,
/// 503 `draining` once a graceful shutdown started.
struct ReadinessCheck: Function {
    let readiness: Readiness

    func respond(to request: Request, context: RequestContext) async throws -> Response {
        switch self.readiness.state {
        case .ready: .text("ready")
        case .starting: .text("starting", status: .serviceUnavailable)
        case .draining: .text("draining", status: .serviceUnavailable)
        }
    }
}
