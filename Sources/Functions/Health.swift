public import GatehouseRouting
public import GatehouseTransport

/// `GET /healthz` → `200 ok`: the process is up and serving. Never behind a policy by default.
public struct Health: Function {
    /// Creates the function.
    public init() {}

    /// Answers `200 ok`; never suspends, so it runs on the fast path.
    public func respond(to request: Request, context: RequestContext) async throws -> Response {
        try self.respondImmediately(to: request, context: context)
    }
}

extension Health: ImmediateFunction {
    package func respondImmediately(to request: Request, context: RequestContext) throws -> Response {
        .text("ok")
    }
}
