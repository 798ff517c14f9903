import Synchronization
public import Transport

/// A responder whose chain can be replaced while the server runs (on reload).
///
/// Each request reads the current chain once and finishes on it, so a reload never changes the rules under a
/// request in flight.
public final class ResponderHandle: Responder {
    private let current: Mutex<any Responder>

    /// Starts with `responder`.
    public init(_ responder: any Responder) {
        self.current = Mutex(responder)
    }

    /// Replaces the chain for requests that start from now on.
    public func replace(with responder: any Responder) {
        self.current.withLock { $0 = responder }
    }

    public func respond(to request: Request, context: RequestContext) async throws -> Response {
        let responder = self.current.withLock { $0 }
        return try await responder.respond(to: request, context: context)
    }

    public func respondImmediately(to request: Request, context: RequestContext) throws -> Response? {
        let responder = self.current.withLock { $0 }
        return try responder.respondImmediately(to: request, context: context)
    }
}
