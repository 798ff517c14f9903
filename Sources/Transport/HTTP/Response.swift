public import HTTPTypes
public import NIOCore

/// One HTTP response, encoded by whichever protocol carried the request.
public struct Response: Sendable {
    /// Status (with reason phrase, sent on HTTP/1.1) and header fields.
    public var head: HTTPResponse {
        get {
            switch self.storedHead {
            case .shared(let shared): shared.head
            case .own(let head): head
            }
        }
        set { self.storedHead = .own(newValue) }
        _modify {
            // Moved out while it changes, so that its field storage stays uniquely referenced (no copy on write).
            var head = self.head
            self.storedHead = .shared(.okWithoutFields)
            defer { self.storedHead = .own(head) }
            yield &head
        }
    }
    /// The complete response body. For `HEAD` requests it is dropped by the protocol layer
    /// while `content-length` still describes it. Not sent when ``streamedBody`` is set.
    public var body: ByteBuffer
    /// A body produced while it is sent, instead of ``body``; `nil` for a complete body.
    public var streamedBody: ResponseBody?
    /// The head: one of the shared 200 OK heads, named rather than copied, until it is changed. Copying an
    /// `HTTPResponse` retains its strings and field storage (and destroying it releases them), so a response with a
    /// shared head costs none of that; encoders write bytes prepared once for it instead of reading it.
    private var storedHead: StoredHead

    private enum StoredHead: Sendable {
        case shared(SharedHead)
        case own(HTTPResponse)
    }

    /// Which of the shared 200 OK heads `head` is, while it has not been changed: encoders then write bytes
    /// prepared once instead of reading the head (`HTTPResponse` decodes its status on every read).
    var sharedHead: SharedHead? {
        if case .shared(let shared) = self.storedHead { return shared }
        return nil
    }

    /// Creates a response from its head and body.
    public init(head: HTTPResponse, body: ByteBuffer = ByteBuffer()) {
        self.storedHead = .own(head)
        self.body = body
    }

    /// Creates a response whose body is produced while it is sent (``ResponseBody``).
    public init(head: HTTPResponse, body: ResponseBody) {
        self.storedHead = .own(head)
        self.body = ByteBuffer()
        self.streamedBody = body
    }

    /// Creates a response with a status, header fields and body.
    public init(status: HTTPResponse.Status, headerFields: HTTPFields = [:], body: ByteBuffer = ByteBuffer()) {
        if headerFields.isEmpty {
            self.init(status, shared: .okWithoutFields, otherwise: headerFields, body: body)
        } else {
            self.init(head: HTTPResponse(status: status, headerFields: headerFields), body: body)
        }
    }

    /// A response with the shared head `shared` when `status` is a plain 200 OK, else with `status` and `fields`.
    private init(_ status: HTTPResponse.Status, shared: SharedHead, otherwise fields: HTTPFields, body: ByteBuffer) {
        if status.code == 200 && status.reasonPhrase == SharedHead.okReasonPhrase {
            self.storedHead = .shared(shared)
        } else {
            self.storedHead = .own(HTTPResponse(status: status, headerFields: fields))
        }
        self.body = body
    }

    /// The response status.
    public var status: HTTPResponse.Status {
        get {
            switch self.storedHead {
            case .shared: .ok
            case .own(let head): head.status
            }
        }
        set { self.head.status = newValue }
    }

    /// A `text/plain; charset=utf-8` response.
    public static func text(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status, shared: .okPlainText, otherwise: .plainText, body: ByteBuffer(string: text))
    }

    /// A `text/plain; charset=utf-8` response whose body is already UTF-8 bytes (no `String` is built).
    public static func text(utf8 body: ByteBuffer, status: HTTPResponse.Status = .ok) -> Response {
        Response(status, shared: .okPlainText, otherwise: .plainText, body: body)
    }

    /// An `application/json` response from already-encoded JSON text.
    public static func json(_ json: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status, shared: .okJSON, otherwise: .json, body: ByteBuffer(string: json))
    }
}

// Shared fields, copy-on-write: a response that does not change them allocates none.
extension HTTPFields {
    static let plainText: HTTPFields = [.contentType: "text/plain; charset=utf-8"]
    static let json: HTTPFields = [.contentType: "application/json"]
    static let problemJSON: HTTPFields = [.contentType: "application/problem+json"]
}

/// The 200 OK heads most responses have, built once: an `HTTPResponse` keeps its status in a heap object, so
/// building one per request costs a malloc, and reading its status decodes it.
enum SharedHead: Sendable {
    case okWithoutFields
    case okPlainText
    case okJSON

    var head: HTTPResponse {
        switch self {
        case .okWithoutFields: Self.okWithoutFieldsHead
        case .okPlainText: Self.okPlainTextHead
        case .okJSON: Self.okJSONHead
        }
    }

    static let okReasonPhrase = HTTPResponse.Status.ok.reasonPhrase
    private static let okWithoutFieldsHead = HTTPResponse(status: .ok)
    private static let okPlainTextHead = HTTPResponse(status: .ok, headerFields: .plainText)
    private static let okJSONHead = HTTPResponse(status: .ok, headerFields: .json)
}
