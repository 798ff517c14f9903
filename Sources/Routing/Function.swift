public import Transport

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
}

/// Runs a function as the responder at the end of a route's middleware chain.
struct FunctionResponder<Body: Function>: Responder {
    let function: Body

    func respond(to request: Request, context: RequestContext) async throws -> Response {
        try await self.function.respond(to: request, context: context)
    }
}
