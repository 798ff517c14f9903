public import HTTPTypes
public import NIOCore

/// One HTTP response, encoded by whichever protocol carried the request.
public struct Response: Sendable {
    /// Status (with reason phrase, sent on HTTP/1.1) and header fields.
    public var head: HTTPResponse
    /// The complete response body. For `HEAD` requests it is dropped by the protocol layer
    /// while `content-length` still describes it.
    public var body: ByteBuffer

    /// Creates a response from its head and body.
    public init(head: HTTPResponse, body: ByteBuffer = ByteBuffer()) {
        self.head = head
        self.body = body
    }

    /// Creates a response with a status, header fields and body.
    public init(status: HTTPResponse.Status, headerFields: HTTPFields = [:], body: ByteBuffer = ByteBuffer()) {
        self.head = HTTPResponse(status: status, headerFields: headerFields)
        self.body = body
    }

    /// The response status.
    public var status: HTTPResponse.Status {
        get { self.head.status }
        set { self.head.status = newValue }
    }

    /// A `text/plain; charset=utf-8` response.
    public static func text(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headerFields: .plainText, body: ByteBuffer(string: text))
    }

    /// An `application/json` response from already-encoded JSON text.
    public static func json(_ json: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headerFields: .json, body: ByteBuffer(string: json))
    }
}

extension HTTPFields {
    // Shared, copy-on-write: a response that does not change its fields allocates none.
    static let plainText: HTTPFields = [.contentType: "text/plain; charset=utf-8"]
    static let json: HTTPFields = [.contentType: "application/json"]
    static let problemJSON: HTTPFields = [.contentType: "application/problem+json"]
}
