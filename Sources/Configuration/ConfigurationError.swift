/// A configuration file that cannot be used: names the file, the key and what is wrong.
///
/// ```
/// gatehouse.yaml:14: policies.partners.trustedCAs[1]: no such file: /etc/gatehouse/pki/ca2.crt
/// ```
public struct ConfigurationError: Error, CustomStringConvertible, Hashable, Sendable {
    /// The configuration file.
    public let file: String
    /// The key path, e.g. `listeners[0].tls.certificate`; empty for the whole file.
    public let keyPath: String
    /// The 1-based line of the offending node, when known.
    public let line: Int?
    /// What is wrong.
    public let problem: String

    /// Creates an error.
    public init(file: String, keyPath: String, line: Int? = nil, problem: String) {
        self.file = file
        self.keyPath = keyPath
        self.line = line
        self.problem = problem
    }

    /// `file:line: key: problem`, as in the example above; the line and key are left out when unknown or empty.
    public var description: String {
        let location = self.line.map { "\(self.file):\($0)" } ?? self.file
        return self.keyPath.isEmpty ? "\(location): \(self.problem)" : "\(location): \(self.keyPath): \(self.problem)"
    }
}
