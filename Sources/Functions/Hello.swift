public import Routing
public import Transport

/// `GET /api/hello?name=X` → `Hello, X.`; a missing or empty name → `Hello, World.`
///
/// The reference scenario's function, answering exactly as the Azure Functions sample does.
public struct Hello: SynchronousFunction {
    /// Creates the function.
    public init() {}

    public func answer(_ request: Request, context: RequestContext) throws -> Response {
        let name = request.query["name"].flatMap { $0.isEmpty ? nil : $0 } ?? "World"
        return .text("Hello, \(name).")
    }
}
