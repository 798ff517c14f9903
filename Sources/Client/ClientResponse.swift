public import GatehouseTransport
public import HTTPTypes
public import NIOCore

/// A complete response received by an ``HTTPClient``.
public struct ClientResponse: Sendable {
    /// Status (with the reason phrase on HTTP/1.1) and header fields.
    public var head: HTTPResponse
    /// The whole response body; empty when there was none.
    public var body: ByteBuffer
    /// The HTTP version that carried the response.
    public var httpVersion: HTTPVersionKind
    /// What the connection's TLS handshake established (version, cipher, ALPN, the server's chain).
    public var tls: TLSSessionInfo

    /// Creates a response.
    public init(head: HTTPResponse, body: ByteBuffer, httpVersion: HTTPVersionKind, tls: TLSSessionInfo) {
        self.head = head
        self.body = body
        self.httpVersion = httpVersion
        self.tls = tls
    }

    /// The response status.
    public var status: HTTPResponse.Status { self.head.status }

    /// The body decoded as UTF-8.
    public var bodyText: String { String(buffer: self.body) }

    /// The status line as curl prints it: `HTTP/2 200`, `HTTP/1.1 403 Invalid client certificate`.
    public var statusLine: String {
        switch self.httpVersion {
        case .http2:
            return "HTTP/2 \(self.status.code)"
        case .http1_1:
            let reason = self.status.reasonPhrase
            return reason.isEmpty ? "HTTP/1.1 \(self.status.code)" : "HTTP/1.1 \(self.status.code) \(reason)"
        }
    }
}
