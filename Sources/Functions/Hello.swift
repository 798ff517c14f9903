public import GatehouseRouting
public import GatehouseTransport
import NIOCore

/// `GET /api/hello?name=X` → `Hello, X.`; a missing or empty name → `Hello, World.`
///
/// The reference scenario's function, answering exactly as the Azure Functions sample does.
public struct Hello: Function {
    /// Creates the function.
    public init() {}

    /// Answers the greeting; never suspends, so it runs on the fast path.
    public func respond(to request: Request, context: RequestContext) async throws -> Response {
        try self.respondImmediately(to: request, context: context)
    }
}

extension Hello: ImmediateFunction {
    package func respondImmediately(to request: Request, context: RequestContext) throws -> Response {
        let name = request.query["name"].flatMap { $0.isEmpty ? nil : $0 } ?? "World"
        // Written straight into the body in one step: interpolating a String first would write every byte twice.
        let size = 8 + name.utf8.count
        var body = ByteBufferAllocator().buffer(capacity: size)
        body.writeWithCursor(reserving: size) { cursor in
            cursor.append("Hello, ")
            cursor.append(name)
            cursor.append(".")
        }
        return .text(utf8: body)
    }
}
