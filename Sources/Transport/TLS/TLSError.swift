/// A TLS failure on a connection, or a TLS configuration that cannot be used.
///
/// Handlers deliver it through `errorCaught`; ``TLSContext`` throws it. Equality and hashing use the code only.
public struct TLSError: Error, CustomStringConvertible, Hashable {
    /// What went wrong, as a stable code.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case handshakeFailed, handshakeTimeout, peerCertificateRequired, unexpectedEOF, protocolError
            case invalidConfiguration
        }
        private let base: Base
        /// The code's name, e.g. `handshakeTimeout`: stable, for logs and matching.
        public var description: String { self.base.rawValue }

        /// The handshake failed (bad certificate, no shared version or cipher, alert from the peer, …).
        public static let handshakeFailed = Code(base: .handshakeFailed)
        /// The handshake did not finish within the configured time.
        public static let handshakeTimeout = Code(base: .handshakeTimeout)
        /// A client certificate was required and none was sent (or the peer said so with an alert).
        public static let peerCertificateRequired = Code(base: .peerCertificateRequired)
        /// The connection closed in the middle of the handshake.
        public static let unexpectedEOF = Code(base: .unexpectedEOF)
        /// A TLS record could not be read or written after the handshake.
        public static let protocolError = Code(base: .protocolError)
        /// A certificate, key, CA file or setting could not be used; the detail names the file.
        public static let invalidConfiguration = Code(base: .invalidConfiguration)
    }

    /// The kind of failure.
    public let code: Code
    /// Detail for logs (OpenSSL's error queue, the file): not for the client.
    public let detail: String
    /// Where the error was raised.
    public let location: String
    /// OpenSSL's codes for a failure on a connection; `nil` for one Gatehouse raised itself.
    package let failure: TLSFailure?
    /// For ``Code/invalidConfiguration``: the configuration file's key under a listener's `tls` that names what
    /// cannot be used (`certificate`, `privateKey`, `pkcs12`, `trustedCAs`), when one does.
    package private(set) var key: String?

    /// Creates an error.
    public init(_ code: Code, _ detail: String, fileID: StaticString = #fileID, line: UInt = #line) {
        self.code = code
        self.detail = detail
        self.location = "\(fileID):\(line)"
        self.failure = nil
    }

    /// An error for a failure OpenSSL reported; the detail is its error queue.
    package init(_ code: Code, _ failure: TLSFailure, fileID: StaticString = #fileID, line: UInt = #line) {
        self.code = code
        self.detail = failure.detail
        self.location = "\(fileID):\(line)"
        self.failure = failure
    }

    /// `TLSError.<code>: <detail>`, for logs; the detail is not meant for the peer.
    public var description: String { "TLSError.\(self.code): \(self.detail)" }

    /// This error, about the setting the configuration file calls `key`.
    func about(_ key: String) -> TLSError {
        var error = self
        error.key = key
        return error
    }

    /// Equal when the codes are: the detail, location and OpenSSL codes are for logs, so errors compare by code.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    /// Hashes the code alone, as `==` compares it.
    public func hash(into hasher: inout Hasher) { hasher.combine(self.code) }
}
