import Foundation

/// What `gatehouse check --json` prints for a configuration that `serve` would refuse: the error, located.
public struct CheckFailure: Sendable, Hashable, Codable {
    /// Always `false`.
    public var ok = false
    /// The configuration file.
    public var configuration: String
    /// The 1-based line of the offending key, when known.
    public var line: Int?
    /// The key path, e.g. `listeners[0].tls.privateKey`; empty for the whole file.
    public var key: String
    /// What is wrong.
    public var problem: String
    /// The whole message, as `serve` prints it after `gatehouse: `.
    public var message: String

    /// The failure for `error`.
    public init(_ error: ConfigurationError) {
        self.configuration = error.file
        self.line = error.line
        self.key = error.keyPath
        self.problem = error.problem
        self.message = error.description
    }

    /// Stable JSON: sorted keys, indented, a trailing newline.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
    }
}
