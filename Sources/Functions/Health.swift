public import Routing
public import Transport

/// `GET /healthz` → `200 ok`: the process is up and serving. Never behind a policy by default.
public struct Health: Function {
    /// Creates the function.
    public init() {}

    public func respond(to request: Request, context: RequestContext) async throws -> Response {
        .text("ok")
    }
}
