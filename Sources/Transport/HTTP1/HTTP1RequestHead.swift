import HTTPTypes

/// The HTTP/1.x versions a server connection answers; a request's minor version above 1 is answered as 1.1.
package enum HTTP1Version: Equatable, Sendable {
    // Version numbers as written (NIO spells them the same way).
    // swift-format-ignore: AlwaysUseLowerCamelCase
    case http1_0
    // Version numbers as written (NIO spells them the same way).
    // swift-format-ignore: AlwaysUseLowerCamelCase
    case http1_1

    /// The version as it appears on a status line.
    var text: StaticString {
        switch self {
        case .http1_0: "HTTP/1.0"
        case .http1_1: "HTTP/1.1"
        }
    }
}

/// How a request's body is delimited (RFC 9112 §6.3).
enum HTTP1Framing: Equatable {
    /// No body: neither `Content-Length` nor `Transfer-Encoding`.
    case none
    /// Exactly this many bytes follow the head.
    case length(Int)
    /// `Transfer-Encoding: chunked`.
    case chunked
}

/// What a request's `Expect` field asks for (RFC 9110 §10.1.1).
enum HTTP1Expectation: Equatable {
    case none
    /// `100-continue`: the client waits for a `100 Continue` before it sends the body.
    case `continue`
    /// Anything else: answered with 417.
    case unsupported
}

/// One parsed HTTP/1.x request head: the shared ``HTTPRequest`` plus the facts only HTTP/1.x needs.
///
/// Built by ``HTTP1HeadParser`` straight from the received bytes; the connection-level fields (`Host`,
/// `Connection` and what it names, `Transfer-Encoding`, `Expect`, …) are already removed from `request`.
struct HTTP1RequestHead {
    /// Method, `https` scheme, authority (from `Host` or an absolute-form target), path and end-to-end fields.
    var request: HTTPRequest
    /// The version the response answers in.
    var version: HTTP1Version
    /// How the body is delimited.
    var framing: HTTP1Framing
    /// Whether the client lets the connection stay open after this request (version default and `Connection`).
    var keepAlive: Bool
    /// `Connection: upgrade` or `CONNECT`: we never switch protocols, so the connection closes after the answer.
    var asksToUpgrade: Bool
    /// What `Expect` asks for; always `.none` on HTTP/1.0, which has no expectations.
    var expectation: HTTP1Expectation

    /// Whether the request is `HEAD`, whose response carries no body. Kept apart from `request`, whose method is
    /// decoded again on every read.
    var isHeadRequest: Bool
}
