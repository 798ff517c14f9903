import HTTPTypes

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
}

/// A middleware that can also handle a request without suspending, on the connection's fast path (see
/// ``ImmediateResponder``). The built-in middleware are; a chain folds them so once, when it is assembled.
package protocol ImmediateMiddleware: Middleware {
    /// Handles `request` without suspending, usually by calling `next.respondImmediately`; `nil` when it cannot
    /// (for instance because `next` returned `nil`), and then ``Middleware/handle(_:context:next:)`` handles it.
    /// Returning `nil` must leave no trace. Takes the context (`consuming`), to change in place and hand on.
    func handleImmediately(_ request: Request, context: consuming RequestContext, next: any ImmediateResponder) throws
        -> Response?
}

extension Array where Element == any Middleware {
    /// Folds the middleware, first element outermost, in front of `responder`.
    ///
    /// Done once when a server or route is assembled, never per request.
    public func chained(to responder: any Responder) -> any Responder {
        self.chainedWithFastPath(to: responder)
    }

    /// ``chained(to:)`` as the fast path sees it: whether each link can answer without suspending is decided here,
    /// once, not per request.
    package func chainedWithFastPath(to responder: any Responder) -> any ImmediateResponder {
        self.reversed().reduce(responder.withFastPath) { next, middleware -> any ImmediateResponder in
            if let immediate = middleware as? any ImmediateMiddleware {
                return ImmediateMiddlewareResponder(middleware: immediate, next: next)
            }
            return MiddlewareResponder(middleware: middleware, next: next)
        }
    }
}

/// A middleware with a fast path, bound to the responder after it.
private struct ImmediateMiddlewareResponder: ImmediateResponder {
    let middleware: any ImmediateMiddleware
    let next: any ImmediateResponder

    func respond(to request: Request, context: RequestContext) async throws -> Response {
        try await self.middleware.handle(request, context: context, next: self.next)
    }

    func respondImmediately(to request: Request, context: consuming RequestContext) throws -> Response? {
        try self.middleware.handleImmediately(request, context: context, next: self.next)
    }

    func requestBodyMode(for head: HTTPRequest) -> RequestBodyMode {
        self.next.requestBodyMode(for: head)
    }
}

/// A middleware without a fast path (a user's), bound to the responder after it: every request through it takes
/// the asynchronous path.
private struct MiddlewareResponder: ImmediateResponder {
    let middleware: any Middleware
    let next: any ImmediateResponder

    func respond(to request: Request, context: RequestContext) async throws -> Response {
        try await self.middleware.handle(request, context: context, next: self.next)
    }

    func respondImmediately(to request: Request, context: consuming RequestContext) throws -> Response? {
        nil
    }

    func requestBodyMode(for head: HTTPRequest) -> RequestBodyMode {
        self.next.requestBodyMode(for: head)
    }
}
