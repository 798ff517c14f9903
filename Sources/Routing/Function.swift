public import GatehouseTransport
import HTTPTypes

/// A unit of application logic behind a route: the "function" of a function app.
///
/// One small `Sendable` type per function; it sees the request and its context, never the protocol.
///
/// A function reads a collected body (``Request/body``) unless it asks for the body to stream
/// (``requestBodyMode``: then ``Request/bodyStream``, without `maxBodySize`); either kind may answer with a
/// complete body or one produced while it is sent (``ResponseBody``).
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

    /// How request bodies reach the function: ``RequestBodyMode/collected`` (the default) or
    /// ``RequestBodyMode/streamed``. Read once, when the route is added.
    var requestBodyMode: RequestBodyMode { get }
}

extension Function {
    /// Collected, within the listener's `maxBodySize`.
    public var requestBodyMode: RequestBodyMode { .collected }
}

/// A function that never suspends, answered on the connection's fast path without a Swift task per request
/// whenever the chain in front of it can be too (see ``ImmediateResponder``). The built-in functions are.
package protocol ImmediateFunction: Function {
    /// Answers one request without suspending.
    /// - Throws: as ``Function/respond(to:context:)``.
    func respondImmediately(to request: Request, context: RequestContext) throws -> Response
}

extension Function {
    /// The responder at the end of a route's chain that runs this function, with the fast path when the function
    /// has one. Decided once, when the route is added.
    package var responder: any ImmediateResponder {
        if let immediate = self as? any ImmediateFunction { return immediateResponder(immediate) }
        return FunctionResponder(function: self)
    }
}

/// An ``ImmediateFunction`` as a responder; generic so that each function's calls are direct.
private func immediateResponder(_ function: some ImmediateFunction) -> any ImmediateResponder {
    ImmediateFunctionResponder(function: function, bodyMode: function.requestBodyMode)
}

/// Runs a function without a fast path (a user's `async` one): every request gets a task.
private struct FunctionResponder<Body: Function>: ImmediateResponder {
    let function: Body
    let bodyMode: RequestBodyMode

    init(function: Body) {
        self.function = function
        self.bodyMode = function.requestBodyMode
    }

    func requestBodyMode(for head: HTTPRequest) -> RequestBodyMode {
        self.bodyMode
    }

    func respond(to request: Request, context: RequestContext) async throws -> Response {
        try await self.function.respond(to: request, context: context)
    }

    func respondImmediately(to request: Request, context: consuming RequestContext) throws -> Response? {
        nil
    }
}

/// Runs a function that never suspends, on whichever path the chain in front of it took.
private struct ImmediateFunctionResponder<Body: ImmediateFunction>: ImmediateResponder {
    let function: Body
    let bodyMode: RequestBodyMode

    func requestBodyMode(for head: HTTPRequest) -> RequestBodyMode {
        self.bodyMode
    }

    func respond(to request: Request, context: RequestContext) async throws -> Response {
        try self.function.respondImmediately(to: request, context: context)
    }

    func respondImmediately(to request: Request, context: consuming RequestContext) throws -> Response? {
        try self.function.respondImmediately(to: request, context: context)
    }
}
