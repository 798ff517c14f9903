/// A policy that cannot be loaded: names the policy, the configuration key, the file and what is wrong.
///
/// ```
/// policy 'partners': policies.partners.trustedCAs[1] (/etc/gatehouse/pki/ca.crt): no such file or directory
/// ```
public struct PolicyError: Error, CustomStringConvertible, Hashable {
    /// What went wrong, as a stable code.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case unreadableFile, invalidFile, invalidValue, insecure, emptyIdentity
        }
        private let base: Base
        /// The code's name, e.g. `unreadableFile`: stable, for logs and matching.
        public var description: String { self.base.rawValue }

        /// A file or directory could not be read.
        public static let unreadableFile = Code(base: .unreadableFile)
        /// A file holds no certificate or CRL, or a damaged one.
        public static let invalidFile = Code(base: .invalidFile)
        /// A value is malformed: a thumbprint, SPKI hash, serial number, IP address, name or number.
        public static let invalidValue = Code(base: .invalidValue)
        /// A dangerous combination of settings (e.g. `validateTrust: false` with nothing pinned).
        public static let insecure = Code(base: .insecure)
        /// An identity with no field set.
        public static let emptyIdentity = Code(base: .emptyIdentity)
    }

    /// The kind of failure.
    public let code: Code
    /// The policy's name.
    public let policy: String
    /// The configuration key, e.g. `policies.partners.trustedCAs[1]`.
    public let key: String
    /// The file involved, if any (resolved path).
    public let file: String?
    /// What is wrong.
    public let detail: String
    /// Where the error was raised.
    public let location: String

    /// Creates an error.
    public init(
        _ code: Code,
        policy: String,
        key: String,
        file: String? = nil,
        detail: String,
        fileID: String = #fileID,
        line: Int = #line
    ) {
        self.code = code
        self.policy = policy
        self.key = key
        self.file = file
        self.detail = detail
        self.location = "\(fileID):\(line)"
    }

    /// The policy, the key, the file if any and what is wrong, as in the example above.
    public var description: String {
        let file = self.file.map { " (\($0))" } ?? ""
        return "policy '\(self.policy)': \(self.key)\(file): \(self.detail)"
    }

    /// Equal when the codes are: the rest is for people reading logs, so errors compare by code.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    /// Hashes the code alone, as `==` compares it.
    public func hash(into hasher: inout Hasher) { hasher.combine(self.code) }
}
