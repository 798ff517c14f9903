public import HTTPTypes

/// The end of a middleware chain: turns a request into a response.
///
/// Called once per request, on the connection's event loop. A ``Server`` answers every request with one
/// responder, usually a router with a ``RequestLogger`` in front.
public protocol Responder: Sendable {
    /// Answers one request.
    /// - Throws: an ``HTTPResponseError`` to answer with its response; any other error becomes a
    ///   logged 500 without detail.
    func respond(to request: Request, context: RequestContext) async throws -> Response

    /// How the body of the request with this head reaches ``respond(to:context:)``: asked once per request that
    /// has a body, from its head alone, before any body byte is read. A chain answers what its end answers (a
    /// router: the matched route's function); ``RequestBodyMode/collected`` by default.
    func requestBodyMode(for head: HTTPRequest) -> RequestBodyMode
}

extension Responder {
    /// Collects every body: the default.
    public func requestBodyMode(for head: HTTPRequest) -> RequestBodyMode { .collected }
}

/// A responder that can also answer without suspending: the fast path of the built-in links.
///
/// The connection tries ``respondImmediately(to:context:)`` first: a request answered there needs no Swift task,
/// which is most of what a small request costs beyond its I/O. A chain is converted once, when it is assembled
/// (``Responder/withFastPath``), so a request never asks a responder what it conforms to.
package protocol ImmediateResponder: Responder {
    /// Answers `request` without suspending when this responder and everything after it can; `nil` when it cannot,
    /// and then ``Responder/respond(to:context:)`` answers it. Returning `nil` must leave no trace, since the
    /// request then goes through `respond` from the start (with a context of its own).
    ///
    /// Takes the context (`consuming`): a link that changes it, such as an authenticator adding an identity, changes
    /// it in place and hands it on, rather than copying it.
    /// - Throws: as ``Responder/respond(to:context:)``.
    func respondImmediately(to request: Request, context: consuming RequestContext) throws -> Response?
}

extension Responder {
    /// This responder with a fast path: itself when it has one, else wrapped so that the fast path declines and
    /// every request takes ``respond(to:context:)``. Called when a chain is assembled, never per request.
    package var withFastPath: any ImmediateResponder {
        if let immediate = self as? any ImmediateResponder { return immediate }
        return AsynchronousResponder(base: self)
    }
}

/// A responder that only answers asynchronously (a user's), seen through ``ImmediateResponder``.
private struct AsynchronousResponder: ImmediateResponder {
    let base: any Responder

    func respond(to request: Request, context: RequestContext) async throws -> Response {
        try await self.base.respond(to: request, context: context)
    }

    func respondImmediately(to request: Request, context: consuming RequestContext) throws -> Response? {
        nil
    }

    func requestBodyMode(for head: HTTPRequest) -> RequestBodyMode {
        self.base.requestBodyMode(for: head)
    }
}

/// A responder made from a closure.
public struct ClosureResponder: Responder {
    private let body: @Sendable (Request, RequestContext) async throws -> Response
    private let bodyMode: RequestBodyMode

    /// Wraps `body` as a responder whose requests' bodies arrive as `requestBodyMode` says.
    public init(
        requestBodyMode: RequestBodyMode = .collected,
        _ body: @escaping @Sendable (Request, RequestContext) async throws -> Response
    ) {
        self.body = body
        self.bodyMode = requestBodyMode
    }

    /// The mode given at creation, for every request.
    public func requestBodyMode(for head: HTTPRequest) -> RequestBodyMode {
        self.bodyMode
    }

    /// Calls the closure.
    public func respond(to request: Request, context: RequestContext) async throws -> Response {
        try await self.body(request, context)
    }
}

/// A chain's fast path for the benchmark package, which lives outside this package and so cannot see
/// ``ImmediateResponder``. Not for services.
@_spi(Benchmarks) public struct FastPathResponder: Sendable {
    private let base: any ImmediateResponder

    /// The fast path of `responder`, decided here once.
    public init(_ responder: any Responder) {
        self.base = responder.withFastPath
    }

    /// The chain's answer without suspending, or `nil` when it needs a task.
    public func respondImmediately(to request: Request, context: RequestContext) throws -> Response? {
        try self.base.respondImmediately(to: request, context: context)
    }
}
