public import HTTPTypes
public import NIOCore

/// One HTTP request, the same for HTTP/1.1 and HTTP/2.
///
/// On a route whose body mode is ``RequestBodyMode/collected`` (the default) the body is collected completely (up
/// to the listener's `maxBodySize`) before the request reaches the middleware chain, as ``body``. On a
/// ``RequestBodyMode/streamed`` route the request arrives as soon as its head does, ``body`` is empty, and the
/// body follows through ``bodyStream``.
public struct Request: Sendable {
    /// Method, scheme, authority, path (with query) and header fields.
    public var head: HTTPRequest {
        didSet { self.target = Target(self.head.path) }
    }
    /// The collected request body; empty when the request had none, or when its body is streamed
    /// (``isBodyStreamed``).
    public var body: ByteBuffer
    /// The streamed body's source; `nil` for a collected body.
    private let bodySource: RequestBodySource?
    /// The `:path` split at its first `?`, found once: the router reads the path and functions the query, and
    /// `HTTPRequest` hands out its path as a new `String` on every read.
    private var target: Target

    /// Creates a request from its head and body.
    public init(head: HTTPRequest, body: ByteBuffer = ByteBuffer()) {
        self.head = head
        self.body = body
        self.bodySource = nil
        self.target = Target(head.path)
    }

    /// A request whose body streams from `bodySource`.
    init(head: HTTPRequest, bodySource: RequestBodySource) {
        self.head = head
        self.body = ByteBuffer()
        self.bodySource = bodySource
        self.target = Target(head.path)
    }

    /// The body as an `AsyncSequence` of buffers: the pieces of a streamed body as they arrive (read once), or
    /// ``body`` as one piece.
    public var bodyStream: RequestBody {
        if let bodySource = self.bodySource { return RequestBody(source: bodySource) }
        return RequestBody(buffer: self.body)
    }

    /// Whether the body streams (``RequestBodyMode/streamed``): read it through ``bodyStream``.
    public var isBodyStreamed: Bool { self.bodySource != nil }

    /// The request method.
    public var method: HTTPRequest.Method { self.head.method }

    /// The path without the query: `/api/hello` for `/api/hello?name=x`.
    public var path: Substring { self.target.path }

    /// The raw query string after `?`, still percent-encoded; empty when there is none.
    public var rawQuery: Substring { self.target.query }
}

/// A request target split into path and query.
private struct Target: Sendable {
    let text: String
    /// The index of the first `?` in `text`, or `nil`.
    let questionMark: String.Index?

    init(_ target: String?) {
        self.text = target ?? "/"
        let utf8 = self.text.utf8
        self.questionMark = Self.questionMark(in: utf8).map { utf8.index(utf8.startIndex, offsetBy: $0) }
    }

    // Sliced with explicit ranges of indices: partial ranges go through the generic `RangeExpression` path.
    var path: Substring {
        let utf8 = self.text.utf8
        guard let questionMark else { return Substring(utf8[utf8.startIndex..<utf8.endIndex]) }
        return Substring(utf8[utf8.startIndex..<questionMark])
    }

    var query: Substring {
        guard let questionMark else { return "" }
        let utf8 = self.text.utf8
        return Substring(utf8[utf8.index(after: questionMark)..<utf8.endIndex])
    }

    /// The offset of the first `?` among the UTF-8 bytes (walking Characters would cost grapheme breaking).
    /// Slicing the UTF-8 view at an ASCII byte needs none of the scalar alignment that slicing the String would.
    private static func questionMark(in utf8: String.UTF8View) -> Int? {
        let offset = utf8.withContiguousStorageIfAvailable { $0.firstIndex(of: UInt8(ascii: "?")) }
        if let offset { return offset }
        return utf8.firstIndex(of: UInt8(ascii: "?")).map { utf8.distance(from: utf8.startIndex, to: $0) }
    }
}
