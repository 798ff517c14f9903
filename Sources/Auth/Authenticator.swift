public import Transport

/// Decides who is calling.
///
/// Returns an identity, `nil` to leave the decision to the next authenticator, or throws to stop the
/// request (an ``HTTPResponseError`` chooses the response, e.g. a 403).
public protocol Authenticator<Identity>: Sendable {
    /// What a successful authentication yields; put into ``RequestContext/identity``.
    associatedtype Identity: Sendable

    /// Authenticates the caller of `request`.
    func authenticate(_ request: Request, context: RequestContext) async throws -> Identity?
}
