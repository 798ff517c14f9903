/// A step in front of a responder: it may answer itself, change the request or context, or pass on.
///
/// Both HTTP versions run the same chain; a middleware never knows which one carried the request.
///
/// ```swift
/// struct ServerHeader: Middleware {
///     func handle(_ request: Request, context: RequestContext, next: any Responder) async throws -> Response {
///         var response = try await next.respond(to: request, context: context)
///         response.head.headerFields[.server] = "gatehouse"
///         return response
///     }
/// }
/// ```
public protocol Middleware: Sendable {
    /// Handles `request`, usually by calling `next`.
    func handle(_ request: Request, context: RequestContext, next: any Responder) async throws -> Response

    /// Handles `request` without suspending, usually by calling `next.respondImmediately`; `nil` when it cannot
    /// (for instance because `next` returned `nil`), and then ``handle(_:context:next:)`` handles it. Returning
    /// `nil` must leave no trace. The default returns `nil`: a middleware that only implements `handle` keeps every
    /// request on the asynchronous path (see ``Responder/respondImmediately(to:context:)``).
    func handleImmediately(_ request: Request, context: RequestContext, next: any Responder) throws -> Response?
}

extension Middleware {
    public func handleImmediately(_ request: Request, context: RequestContext, next: any Responder) throws -> Response? {
        nil
    }
}

extension Array where Element == any Middleware {
    /// Folds the middleware, first element outermost, in front of `responder`.
    ///
    /// Done once when a server or route is assembled, never per request.
    public func chained(to responder: any Responder) -> any Responder {
        self.reversed().reduce(responder) { next, middleware in
            MiddlewareResponder(middleware: middleware, next: next)
        }
    }
}

/// One middleware bound to the responder after it.
struct MiddlewareResponder: Responder {
    let middleware: any Middleware
    let next: any Responder

    func respond(to request: Request, context: RequestContext) async throws -> Response {
        try await self.middleware.handle(request, context: context, next: self.next)
    }

    func respondImmediately(to request: Request, context: RequestContext) throws -> Response? {
        try self.middleware.handleImmediately(request, context: context, next: self.next)
    }
}
