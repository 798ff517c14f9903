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
        self.head = headerFields.isEmpty
            ? .shared(status, headerFields, ifOK: .okWithoutFields)
            : HTTPResponse(status: status, headerFields: headerFields)
        self.body = body
    }

    /// The response status.
    public var status: HTTPResponse.Status {
        get { self.head.status }
        set { self.head.status = newValue }
    }

    /// A `text/plain; charset=utf-8` response.
    public static func text(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(head: .shared(status, .plainText, ifOK: .okPlainText), body: ByteBuffer(string: text))
    }

    /// A `text/plain; charset=utf-8` response whose body is already UTF-8 bytes (no `String` is built).
    public static func text(utf8 body: ByteBuffer, status: HTTPResponse.Status = .ok) -> Response {
        Response(head: .shared(status, .plainText, ifOK: .okPlainText), body: body)
    }

    /// An `application/json` response from already-encoded JSON text.
    public static func json(_ json: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(head: .shared(status, .json, ifOK: .okJSON), body: ByteBuffer(string: json))
    }
}

// Shared heads and fields, copy-on-write: a response that does not change them allocates none (an HTTPResponse
// keeps its status in a heap object, so building one per request costs a malloc).
extension HTTPFields {
    static let plainText: HTTPFields = [.contentType: "text/plain; charset=utf-8"]
    static let json: HTTPFields = [.contentType: "application/json"]
    static let problemJSON: HTTPFields = [.contentType: "application/problem+json"]
}

extension HTTPResponse {
    static let okWithoutFields = HTTPResponse(status: .ok)
    static let okPlainText = HTTPResponse(status: .ok, headerFields: .plainText)
    static let okJSON = HTTPResponse(status: .ok, headerFields: .json)

    /// `okHead` when `status` is a plain 200 OK, else a new head with `status` and `fields`.
    static func shared(_ status: Status, _ fields: HTTPFields, ifOK okHead: HTTPResponse) -> HTTPResponse {
        let isPlainOK = status.code == 200 && status.reasonPhrase == Self.okReasonPhrase
        return isPlainOK ? okHead : HTTPResponse(status: status, headerFields: fields)
    }

    private static let okReasonPhrase = Status.ok.reasonPhrase
}
