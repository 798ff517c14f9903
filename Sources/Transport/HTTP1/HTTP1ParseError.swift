import HTTPTypes

/// Why the bytes of an HTTP/1.x message were refused. A request's error is answered (``response``), then the
/// connection closes, because after a framing error nothing that follows can be trusted to start a request; a
/// response's error fails the client's request and closes the connection.
package enum HTTP1ParseError: Error, Equatable {
    /// The request line is not `method SP target SP HTTP/x.y CRLF` with a token method and a visible target.
    case invalidRequestLine
    /// A field line is not `token ":" OWS value OWS CRLF`, or it is folded (obs-fold), or a value holds a control
    /// character.
    case invalidFieldLine
    /// A line ended in a bare CR or a bare LF instead of CRLF.
    case invalidLineEnding
    /// The target is neither origin-form, absolute-form nor `*` (for `OPTIONS`).
    case invalidTarget
    /// `Host` is missing from an HTTP/1.1 request, repeated, or not a valid `host [":" port]` (RFC 9112 §3.2,
    /// ``HostValidation``).
    case invalidHost
    /// `Content-Length` is repeated, is a list, or is not a decimal number that fits an `Int`.
    case invalidContentLength
    /// Both `Content-Length` and `Transfer-Encoding`, `Transfer-Encoding` on HTTP/1.0, or a coding list whose
    /// last coding is not `chunked` (RFC 9112 §6.1: the length cannot be determined).
    case invalidTransferEncoding
    /// A coding other than `chunked` comes before it: we decode only `chunked`.
    case unsupportedTransferEncoding
    /// A chunk-size line is not hexadecimal (optionally with extensions), a chunk's data is not followed by CRLF, or
    /// a trailer line is malformed.
    case invalidChunk
    /// The request line alone is longer than the header limit.
    case requestLineTooLong
    /// The head (request line and fields), or a chunked body's trailer section, is longer than the header limit.
    case headTooLarge
    /// The major version is not 1.
    case versionNotSupported
    /// A response's status line is not `HTTP/x.y SP 3DIGIT [SP reason]` with a code from 100 to 599.
    case invalidStatusLine

    /// The answer to send before closing.
    var response: Response {
        switch self {
        case .invalidRequestLine, .invalidFieldLine, .invalidLineEnding, .invalidTarget, .invalidContentLength,
            .invalidTransferEncoding, .invalidChunk, .invalidStatusLine:
            .problem(status: .badRequest, title: "Bad request")
        case .invalidHost:
            .problem(status: .badRequest, title: "Bad request", detail: "Host is missing, repeated or invalid")
        case .unsupportedTransferEncoding:
            .problem(status: .notImplemented, title: "Transfer coding not implemented")
        case .requestLineTooLong:
            .problem(status: .uriTooLong, title: "URI too long")
        case .headTooLarge:
            .problem(status: .requestHeaderFieldsTooLarge, title: "Request header fields too large")
        case .versionNotSupported:
            .problem(status: .httpVersionNotSupported, title: "HTTP version not supported")
        }
    }
}
