/// Why a streamed request or response body ended before it was complete.
///
/// ``RequestBody``'s iterator throws it when the client goes away, resets the stream, stops sending or sends a
/// malformed body; ``ResponseBodyWriter/write(_:)`` throws it when the client can no longer receive the response.
/// Equality and hashing use the code only.
public struct StreamingBodyError: Error, Hashable, CustomStringConvertible {
    /// What ended the body, as a stable code.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case connectionClosed, streamReset, timedOut, malformed, tooLarge, lengthMismatch
        }
        private let base: Base
        /// The code's name, e.g. `streamReset`.
        public var description: String { self.base.rawValue }

        /// The connection closed.
        public static let connectionClosed = Code(base: .connectionClosed)
        /// The HTTP/2 stream was reset, by the client or because the exchange ended.
        public static let streamReset = Code(base: .streamReset)
        /// The client sent no body bytes for `requestBodyTimeout`, or took no response bytes for `idleTimeout`.
        public static let timedOut = Code(base: .timedOut)
        /// The body's framing was broken (a bad chunk).
        public static let malformed = Code(base: .malformed)
        /// ``RequestBody/collect(upTo:)`` found more bytes than allowed.
        public static let tooLarge = Code(base: .tooLarge)
        /// A response body's bytes did not match the `Content-Length` it announced.
        public static let lengthMismatch = Code(base: .lengthMismatch)
    }

    /// The kind of failure.
    public let code: Code

    /// Creates an error with `code`.
    public init(_ code: Code) {
        self.code = code
    }

    /// `StreamingBodyError.<code>`.
    public var description: String { "StreamingBodyError.\(self.code)" }
}
