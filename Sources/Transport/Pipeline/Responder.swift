/// The end of a middleware chain: turns a request into a response.
///
/// Called once per request, on the connection's event loop.
public protocol Responder: Sendable {
    /// Answers one request.
    /// - Throws: an ``HTTPResponseError`` to answer with its response; any other error becomes a
    ///   logged 500 without detail.
    func respond(to request: Request, context: RequestContext) async throws -> Response
}

/// A responder made from a closure.
public struct ClosureResponder: Responder {
    private let body: @Sendable (Request, RequestContext) async throws -> Response

    /// Wraps `body` as a responder.
    public init(_ body: @escaping @Sendable (Request, RequestContext) async throws -> Response) {
        self.body = body
    }

    public func respond(to request: Request, context: RequestContext) async throws -> Response {
        try await self.body(request, context)
    }
}
