import GatehouseTransport
import ServiceLifecycle

/// Marks the service ready once it runs (its server has started: `serve` and the tests start it before running the
/// services), and draining as soon as a graceful shutdown starts — it is the last service, so the first told.
struct ReadinessFlag: Service {
    let server: Server
    let readiness: Readiness

    func run() async throws {
        _ = try await self.server.start()  // returns at once when already started
        self.readiness.set(.ready)
        try? await gracefulShutdown()
        self.readiness.set(.draining)
    }
}
