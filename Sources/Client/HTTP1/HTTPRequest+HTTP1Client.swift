import HTTPTypes
import NIOCore
import NIOHTTP1

extension HTTPRequest {
    /// The HTTP/1.1 head for this request: `Host` from the authority, `content-length` for the body.
    func http1ClientHead(bodyLength: Int) -> HTTPRequestHead {
        var headers = HTTPHeaders()
        headers.reserveCapacity(self.headerFields.count + 2)
        if let authority = self.authority { headers.add(name: "host", value: authority) }
        var hasLength = false
        for field in self.headerFields {
            if field.name == .contentLength { hasLength = true }
            if field.name == .transferEncoding { continue }
            headers.add(name: field.name.rawName, value: field.value)
        }
        if !hasLength && (bodyLength > 0 || [.post, .put, .patch].contains(self.method)) {
            headers.add(name: "content-length", value: String(bodyLength))
        }
        return HTTPRequestHead(
            version: .http1_1,
            method: HTTPMethod(rawValue: self.method.rawValue),
            uri: self.path ?? "/",
            headers: headers
        )
    }
}

extension HTTPResponse {
    /// The response for an HTTP/1.1 head; fields whose names are not valid are dropped.
    ///
    /// NIOHTTP1 replaces the reason phrase of well-known codes with the standard one: pass the phrase the server
    /// sent, when known.
    init(http1 head: HTTPResponseHead, reasonPhrase: String?) {
        var fields = HTTPFields()
        fields.reserveCapacity(head.headers.count)
        for (name, value) in head.headers {
            guard let fieldName = HTTPField.Name(name) else { continue }
            fields.append(HTTPField(name: fieldName, value: value))
        }
        self.init(
            status: HTTPResponse.Status(
                code: Int(head.status.code),
                reasonPhrase: reasonPhrase ?? head.status.reasonPhrase
            ),
            headerFields: fields
        )
    }
}
