public import HTTPTypes
public import NIOCore

/// One HTTP request, the same for HTTP/1.1 and HTTP/2.
///
/// The body is collected completely (up to the listener's `maxBodySize`) before the request
/// reaches the middleware chain.
public struct Request: Sendable {
    /// Method, scheme, authority, path (with query) and header fields.
    public var head: HTTPRequest
    /// The request body; empty when the request had none.
    public var body: ByteBuffer

    /// Creates a request from its head and body.
    public init(head: HTTPRequest, body: ByteBuffer = ByteBuffer()) {
        self.head = head
        self.body = body
    }

    /// The request method.
    public var method: HTTPRequest.Method { self.head.method }

    /// The path without the query: `/api/hello` for `/api/hello?name=x`.
    public var path: Substring {
        guard let target = self.head.path else { return "/" }
        let utf8 = target.utf8
        return Substring(utf8[..<(Self.questionMark(in: utf8) ?? utf8.endIndex)])
    }

    /// The raw query string after `?`, still percent-encoded; empty when there is none.
    public var rawQuery: Substring {
        guard let target = self.head.path, let question = Self.questionMark(in: target.utf8) else { return "" }
        return Substring(target.utf8[target.utf8.index(after: question)...])
    }

    /// The first `?` of `target`, found among its UTF-8 bytes (walking Characters would cost grapheme breaking).
    /// Slicing the UTF-8 view at an ASCII byte needs none of the scalar alignment that slicing the String would.
    private static func questionMark(in utf8: String.UTF8View) -> String.Index? {
        let offset = utf8.withContiguousStorageIfAvailable { $0.firstIndex(of: UInt8(ascii: "?")) }
        guard let offset else { return utf8.firstIndex(of: UInt8(ascii: "?")) }
        return offset.map { utf8.index(utf8.startIndex, offsetBy: $0) }
    }
}
