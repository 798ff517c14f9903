/// Why a request made by an ``HTTPClient`` failed, with a sentence a person can act on.
///
/// Equality and hashing use the code only.
///
/// ```swift
/// do { _ = try await client.execute(.get, "https://127.0.0.1:8443/api/hello") }
/// catch let error as ClientError where error.code == .certificateRefused { print(error.message) }
/// ```
public struct ClientError: Error, CustomStringConvertible, Hashable {
    /// What went wrong, as a stable code.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidRequest, invalidConfiguration, connectFailed, hostNotFound, tlsHandshakeFailed,
                certificateRefused
            case serverCertificateUntrusted, timeout, protocolError, connectionClosed, shutdown, cancelled,
                responseTooLarge, connectionsBusy
        }
        private let base: Base
        /// The code's name, e.g. `certificateRefused`: stable, for logs and matching.
        public var description: String { self.base.rawValue }

        /// The URL or request head cannot be sent (not `https`, no host, bad port).
        public static let invalidRequest = Code(base: .invalidRequest)
        /// The identity or a CA file cannot be used.
        public static let invalidConfiguration = Code(base: .invalidConfiguration)
        /// The TCP connection could not be made (refused, unreachable).
        public static let connectFailed = Code(base: .connectFailed)
        /// The host name does not resolve to an address.
        public static let hostNotFound = Code(base: .hostNotFound)
        /// The TLS handshake failed for a reason other than the certificates below.
        public static let tlsHandshakeFailed = Code(base: .tlsHandshakeFailed)
        /// The server refused the client certificate (or its absence) with a TLS alert.
        public static let certificateRefused = Code(base: .certificateRefused)
        /// The server's certificate does not verify against the trusted CAs, or does not name the host.
        public static let serverCertificateUntrusted = Code(base: .serverCertificateUntrusted)
        /// The connection or the response took longer than the configured timeout.
        public static let timeout = Code(base: .timeout)
        /// The server broke the HTTP protocol, reset the stream, or would not speak the requested version.
        public static let protocolError = Code(base: .protocolError)
        /// The connection closed before the response was complete.
        public static let connectionClosed = Code(base: .connectionClosed)
        /// The client was shut down.
        public static let shutdown = Code(base: .shutdown)
        /// The caller stopped reading a streamed response or was cancelled: the request was abandoned (HTTP/1.1:
        /// its connection closed; HTTP/2: its stream reset).
        public static let cancelled = Code(base: .cancelled)
        /// A response body was longer than the reader allowed (``ClientResponseBody/collect(upTo:)``).
        public static let responseTooLarge = Code(base: .responseTooLarge)
        /// Every connection to the server that ``ClientConfiguration/maxConnectionsPerOrigin`` allows (HTTP/2: every
        /// stream the server allows at a time) was busy and ``ClientConfiguration/maxWaitingRequestsPerOrigin``
        /// requests already waited for one: nothing was sent.
        public static let connectionsBusy = Code(base: .connectionsBusy)
    }

    /// The kind of failure.
    public let code: Code
    /// One sentence for people: "the server refused the client certificate: TLS alert certificate required";
    /// ``description`` puts the server's address before it.
    public let message: String
    /// Detail for logs (OpenSSL's error queue, the underlying error).
    public let detail: String
    /// Where the error was raised.
    public let location: String
    /// The server the request went to, `host:port`; `nil` when the request named none.
    public private(set) var origin: String?

    /// Creates an error.
    public init(
        _ code: Code,
        _ message: String,
        detail: String = "",
        fileID: StaticString = #fileID,
        line: UInt = #line
    ) {
        self.code = code
        self.message = message
        self.detail = detail
        self.location = "\(fileID):\(line)"
    }

    /// The message, after the server's `host:port` when known: `127.0.0.1:8443: connection refused: ...`.
    public var description: String { self.origin.map { "\($0): \(self.message)" } ?? self.message }

    /// This error for a request to `origin`.
    func sent(to origin: String) -> ClientError {
        var error = self
        error.origin = origin
        return error
    }

    /// Equal when the codes are: the message, detail and origin are for people, so errors compare by code.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    /// Hashes the code alone, as `==` compares it.
    public func hash(into hasher: inout Hasher) { hasher.combine(self.code) }
}

extension ClientError {
    static func connectionClosed(detail: String = "") -> ClientError {
        ClientError(
            .connectionClosed,
            "the server closed the connection before the response was complete",
            detail: detail
        )
    }

    static func cancelled() -> ClientError {
        ClientError(.cancelled, "the request was cancelled")
    }

    static func timeout(_ duration: Duration) -> ClientError {
        ClientError(.timeout, "no answer within \(duration)")
    }
}
