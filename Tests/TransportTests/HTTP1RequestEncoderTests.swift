import HTTPTypes
import NIOCore
import Testing

@testable import GatehouseTransport

/// The head `request` is written as, for a body of `bodyLength` bytes.
private func encoded(_ request: HTTPRequest, bodyLength: Int = 0) -> String {
    var buffer = ByteBuffer()
    request.writeHTTP1Head(bodyLength: bodyLength, into: &buffer)
    return String(buffer: buffer)
}

@Suite("HTTP/1.1 request encoder")
struct HTTP1RequestEncoderTests {
    @Test func aGetCarriesHostThenTheFieldsAsGiven() {
        var fields = HTTPFields()
        fields[.accept] = "*/*"
        fields.append(HTTPField(name: HTTPField.Name("x-trace")!, value: "a b"))
        let request = HTTPRequest(
            method: .get,
            scheme: "https",
            authority: "127.0.0.1:8443",
            path: "/api/hello?name=x",
            headerFields: fields
        )
        #expect(
            encoded(request)
                == "GET /api/hello?name=x HTTP/1.1\r\nHost: 127.0.0.1:8443\r\nAccept: */*\r\nx-trace: a b\r\n\r\n"
        )
    }

    @Test func theBodyIsFramedByItsLength() {
        let post = HTTPRequest(
            method: .post,
            scheme: "https",
            authority: "h",
            path: "/echo",
            headerFields: [.transferEncoding: "chunked"]
        )
        #expect(encoded(post, bodyLength: 12) == "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 12\r\n\r\n")
        // POST, PUT and PATCH say their empty body's length; GET and DELETE only when they have a body.
        #expect(encoded(post) == "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n")
        let delete = HTTPRequest(method: .delete, scheme: "https", authority: "h", path: "/x")
        #expect(encoded(delete) == "DELETE /x HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(encoded(delete, bodyLength: 1) == "DELETE /x HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\n")
        // A length the caller set is kept.
        let own = HTTPRequest(
            method: .put,
            scheme: "https",
            authority: "h",
            path: "/x",
            headerFields: [.contentLength: "3"]
        )
        #expect(encoded(own, bodyLength: 3) == "PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n")
    }

    @Test func theServersParserReadsBackWhatTheClientWrites() throws {
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        fields.append(HTTPField(name: HTTPField.Name("X-Id")!, value: "42"))
        let request = HTTPRequest(
            method: .patch,
            scheme: "https",
            authority: "localhost:8443",
            path: "/items/7?x=%20",
            headerFields: fields
        )
        var buffer = ByteBuffer()
        request.writeHTTP1Head(bodyLength: 2, into: &buffer)
        buffer.writeString("{}")
        var parser = HTTP1RequestParser(maxHeadSize: 1024)
        guard case .head(let head) = parser.next(from: &buffer) else {
            Issue.record("no head")
            return
        }
        #expect(head.request.method == .patch)
        #expect(head.request.authority == "localhost:8443")
        #expect(head.request.path == "/items/7?x=%20")
        #expect(head.request.headerFields.map(\.name.rawName) == ["Content-Type", "X-Id", "Content-Length"])
        #expect(head.framing == .length(2))
        guard case .body(let body) = parser.next(from: &buffer) else {
            Issue.record("no body")
            return
        }
        #expect(String(buffer: body) == "{}")
    }
}
