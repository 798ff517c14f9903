public import GatehouseTransport
public import HTTPTypes
import Synchronization

/// A responder whose chain can be replaced while the server runs (on reload).
///
/// Each request reads the current chain once and finishes on it, so a reload never changes the rules under a
/// request in flight.
public final class ResponderHandle: Responder {
    /// The chain with its fast path, converted once per replacement.
    private let current: Mutex<any ImmediateResponder>

    /// Starts with `responder`.
    public init(_ responder: any Responder) {
        self.current = Mutex(responder.withFastPath)
    }

    /// Replaces the chain for requests that start from now on.
    public func replace(with responder: any Responder) {
        let responder = responder.withFastPath
        self.current.withLock { $0 = responder }
    }

    /// Runs the chain current when the request starts; a replacement meanwhile does not affect it.
    public func respond(to request: Request, context: RequestContext) async throws -> Response {
        try await self.chain.respond(to: request, context: context)
    }

    /// The current chain's body mode for the request with `head`.
    public func requestBodyMode(for head: HTTPRequest) -> RequestBodyMode {
        self.chain.requestBodyMode(for: head)
    }

    /// The chain current when the request starts; the request finishes on it.
    private var chain: any ImmediateResponder {
        self.current.withLock { $0 }
    }
}

extension ResponderHandle: ImmediateResponder {
    package func respondImmediately(to request: Request, context: consuming RequestContext) throws -> Response? {
        try self.chain.respondImmediately(to: request, context: context)
    }
}
