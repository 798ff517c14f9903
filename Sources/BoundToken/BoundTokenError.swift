/// A bound-token authenticator that cannot be made: its JWKS file is unreadable, not a JWKS, or holds a key it
/// cannot use.
public struct BoundTokenError: Error, CustomStringConvertible, Sendable {
    /// The configuration key at fault, relative to the authenticator's entry (`jwks`).
    public let key: String
    /// What is wrong, naming the file and, for a key, its position and `kid`.
    public let detail: String

    /// Creates an error about `key`.
    public init(key: String, detail: String) {
        self.key = key
        self.detail = detail
    }

    /// `key: detail`.
    public var description: String { "\(self.key): \(self.detail)" }
}
