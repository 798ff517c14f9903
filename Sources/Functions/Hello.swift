import NIOCore
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
        // Written straight into the body: interpolating a String first costs as much again.
        var body = ByteBufferAllocator().buffer(capacity: name.utf8.count + 8)
        body.writeStaticString("Hello, ")
        body.writeString(name)
        body.writeStaticString(".")
        return .text(utf8: body)
    }
}
