public import GatehouseRouting
public import GatehouseTransport

/// `GET /healthz` → `200 ok`: the process is up and serving. Never behind a policy by default.
public struct Health: SynchronousFunction {
    /// Creates the function.
    public init() {}

    public func answer(_ request: Request, context: RequestContext) throws -> Response {
        .text("ok")
    }
}
