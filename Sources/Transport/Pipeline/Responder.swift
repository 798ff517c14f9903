/// The end of a middleware chain: turns a request into a response.
///
/// Called once per request, on the connection's event loop.
public protocol Responder: Sendable {
    /// Answers one request.
    /// - Throws: an ``HTTPResponseError`` to answer with its response; any other error becomes a
    ///   logged 500 without detail.
    func respond(to request: Request, context: RequestContext) async throws -> Response

    /// Answers `request` without suspending, when this responder and everything after it can; `nil` when it
    /// cannot, and then ``respond(to:context:)`` answers it.
    ///
    /// The connection tries this first: a request answered here needs no Swift task, which is most of what a small
    /// request costs beyond its I/O. Returning `nil` must leave no trace, since the request then goes through
    /// `respond` from the start. The default returns `nil`.
    /// - Throws: as ``respond(to:context:)``.
    func respondImmediately(to request: Request, context: RequestContext) throws -> Response?
}

extension Responder {
    public func respondImmediately(to request: Request, context: RequestContext) throws -> Response? {
        nil
    }
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
