package import HTTPTypes

/// One parsed HTTP/1.x response head: the shared ``HTTPResponse`` (with the reason phrase the server sent and every
/// field it sent, connection-level ones included) plus whether the connection can carry another request.
package struct HTTP1ResponseHead {
    /// Status with its reason phrase, and the header fields in the order received.
    package var response: HTTPResponse
    /// The version on the status line.
    package var version: HTTP1Version
    /// Whether the connection stays open after this response: HTTP/1.1 without `Connection: close`, or HTTP/1.0
    /// with `Connection: keep-alive`, and a body that does not end at the close.
    package var keepAlive: Bool
}

/// How a response's body is delimited (RFC 9112 §6.3).
enum HTTP1ResponseFraming: Equatable {
    /// No body: a response to `HEAD`, a 1xx, 204 or 304, whatever its fields say.
    case none
    /// Exactly this many bytes follow the head.
    case length(Int)
    /// `Transfer-Encoding: chunked`.
    case chunked
    /// Neither `Content-Length` nor `Transfer-Encoding`: the body is everything until the server closes.
    case untilClose
}
