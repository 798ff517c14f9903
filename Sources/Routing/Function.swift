public import GatehouseTransport

/// A unit of application logic behind a route: the "function" of a function app.
///
/// One small `Sendable` type per function; it sees the request and its context, never the protocol.
///
/// ```swift
/// struct Greeting: Function {
///     func respond(to request: Request, context: RequestContext) async throws -> Response {
///         .text("Hello, \(context.parameters["name"] ?? "stranger").")
///     }
/// }
/// ```
public protocol Function: Sendable {
    /// Answers one request.
    /// - Throws: an ``HTTPResponseError`` to answer with its response; anything else becomes a logged 500.
    func respond(to request: Request, context: RequestContext) async throws -> Response

    /// Answers without suspending when it can, else `nil` (then ``respond(to:context:)`` answers); see
    /// ``Responder/respondImmediately(to:context:)``. The default returns `nil`; ``SynchronousFunction`` provides
    /// both for a function that never suspends.
    func respondImmediately(to request: Request, context: RequestContext) throws -> Response?
}

extension Function {
    public func respondImmediately(to request: Request, context: RequestContext) throws -> Response? {
        nil
    }
}

/// A function that never suspends: it writes ``answer(_:context:)`` only, and is answered on the connection's fast
/// path, without a Swift task per request, whenever the chain in front of it can be too.
///
/// ```swift
/// struct Greeting: SynchronousFunction {
///     func answer(_ request: Request, context: RequestContext) throws -> Response {
///         .text("Hello, \(context.parameters["name"] ?? "stranger").")
///     }
/// }
/// ```
public protocol SynchronousFunction: Function {
    /// Answers one request.
    /// - Throws: an ``HTTPResponseError`` to answer with its response; anything else becomes a logged 500.
    func answer(_ request: Request, context: RequestContext) throws -> Response
}

extension SynchronousFunction {
    public func respond(to request: Request, context: RequestContext) async throws -> Response {
        try self.answer(request, context: context)
    }

    public func respondImmediately(to request: Request, context: RequestContext) throws -> Response? {
        try self.answer(request, context: context)
    }
}

/// Runs a function as the responder at the end of a route's middleware chain.
struct FunctionResponder<Body: Function>: Responder {
    let function: Body

    func respond(to request: Request, context: RequestContext) async throws -> Response {
        try await self.function.respond(to: request, context: context)
    }

    func respondImmediately(to request: Request, context: RequestContext) throws -> Response? {
        try self.function.respondImmediately(to: request, context: context)
    }
}
