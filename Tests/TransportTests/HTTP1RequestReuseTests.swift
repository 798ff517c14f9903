import HTTPTypes
import NIOCore
import Testing

@testable import GatehouseTransport

/// Requests built from the connection's previous one (``HTTP1RequestReuse``) are the requests a fresh parse builds,
/// and building one never changes a request handed out before.
@Suite struct HTTP1RequestReuseTests {
    /// Parses `text` (one request without a body) on `parser` and returns its request.
    private func request(_ text: String, on parser: inout HTTP1RequestParser) throws -> HTTPRequest {
        var buffer = ByteBuffer(string: text)
        guard case .request(let head) = parser.next(from: &buffer) else {
            Issue.record("no request parsed from \(text.debugDescription)")
            throw HTTP1ParseError.invalidRequestLine
        }
        #expect(buffer.readableBytes == 0)
        return head.request
    }

    /// The same text parsed by a parser that has seen nothing before.
    private func fresh(_ text: String) throws -> HTTPRequest {
        var parser = HTTP1RequestParser(maxHeadSize: 1024)
        return try self.request(text, on: &parser)
    }

    @Test func aSequenceOfRequestsEqualsFreshParsesAndEarlierRequestsStayUnchanged() throws {
        let texts = [
            "GET /a?x=1 HTTP/1.1\r\nHost: a.example\r\nX-One: 1\r\n\r\n",
            "GET /b HTTP/1.1\r\nHost: a.example\r\n\r\n",
            "DELETE /c HTTP/1.1\r\nHost: a.example\r\nX-Two: 2\r\nX-Two: 3\r\n\r\n",
            "GET /d HTTP/1.1\r\nhost: A.example\r\n\r\n",
            "GET https://b.example/e HTTP/1.1\r\nHost: A.example\r\n\r\n",
            "OPTIONS * HTTP/1.1\r\nHost: A.example:8443\r\n\r\n",
            "GET /f HTTP/1.1\r\nHost: A.example:8443\r\nAccept: */*\r\n\r\n",
            "GET /g HTTP/1.1\r\nHost: A.example:8443\r\n\r\n",
        ]
        var parser = HTTP1RequestParser(maxHeadSize: 1024)
        var parsed: [HTTPRequest] = []
        for (index, text) in texts.enumerated() {
            parsed.append(try self.request(text, on: &parser))
            // Every other time, as the server does once a request is answered; the others go on untrimmed.
            if index.isMultiple(of: 2) { parser.trimReusedRequest() }
        }
        for (text, request) in zip(texts, parsed) {
            let expected = try self.fresh(text)
            #expect(request == expected, "\(text.debugDescription)")
            #expect(request.headerFields == expected.headerFields)
        }
        #expect(parsed[0].path == "/a?x=1")
        #expect(parsed[0].headerFields[HTTPField.Name("X-One")!] == "1")
        #expect(parsed[1].headerFields.isEmpty)
        #expect(parsed[2].method == .delete)
        #expect(parsed[3].authority == "A.example")
        #expect(parsed[4].authority == "b.example")
        #expect(parsed[7].authority == "A.example:8443")
        #expect(parsed[7].headerFields.isEmpty)
    }

    @Test func aRepeatedTargetKeepsItsPathAndEveryRequestEqualsAFreshParse() throws {
        let long = "/" + String(repeating: "l", count: HTTP1RequestReuse.maxKeptPathLength + 10)
        let texts = [
            "GET /api/hello?name=bench HTTP/1.1\r\nHost: a.example\r\nX-One: 1\r\n\r\n",
            "GET /api/hello?name=bench HTTP/1.1\r\nHost: a.example\r\n\r\n",
            "POST /api/hello?name=bench HTTP/1.1\r\nHost: a.example\r\nX-Two: 2\r\n\r\n",
            "GET /api/hello?name=bench HTTP/1.1\r\nHost: a.example\r\n\r\n",
            "GET /api/hello?name=benc HTTP/1.1\r\nHost: a.example\r\n\r\n",
            "GET \(long) HTTP/1.1\r\nHost: a.example\r\n\r\n",
            // The long path was trimmed to `/` while idle: the same long target is built again, and `/` is kept.
            "GET \(long) HTTP/1.1\r\nHost: a.example\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a.example\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: b.example\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: b.example\r\nAccept: */*\r\n\r\n",
        ]
        var parser = HTTP1RequestParser(maxHeadSize: 1024)
        var parsed: [HTTPRequest] = []
        for text in texts {
            parsed.append(try self.request(text, on: &parser))
            parser.trimReusedRequest()
        }
        for (text, request) in zip(texts, parsed) {
            let expected = try self.fresh(text)
            #expect(request == expected, "\(text.debugDescription)")
            #expect(request.headerFields == expected.headerFields)
        }
        #expect(parsed[1].path == "/api/hello?name=bench")
        #expect(parsed[1].headerFields.isEmpty)
        #expect(parsed[2].method == .post)
        #expect(parsed[3].method == .get)
        #expect(parsed[4].path == "/api/hello?name=benc")
        #expect(parsed[6].path == long)
        #expect(parsed[7].path == "/")
        #expect(parsed[8].authority == "b.example")
        #expect(parsed[9].headerFields[.accept] == "*/*")
    }

    @Test func aRepeatedHostIsStillRefusedOnceItIsKnown() {
        var parser = HTTP1RequestParser(maxHeadSize: 1024)
        var buffer = ByteBuffer(
            string:
                "GET / HTTP/1.1\r\nHost: a.example\r\n\r\nGET / HTTP/1.1\r\nHost: a.example\r\nHost: a.example\r\n\r\n"
        )
        guard case .request = parser.next(from: &buffer) else {
            Issue.record("the first request was not parsed")
            return
        }
        guard case .failed(let error) = parser.next(from: &buffer) else {
            Issue.record("two Host fields were accepted")
            return
        }
        #expect(error == .invalidHost)
    }

    @Test func anInvalidHostAfterAValidOneIsRefused() {
        var parser = HTTP1RequestParser(maxHeadSize: 1024)
        var buffer = ByteBuffer(
            string: "GET / HTTP/1.1\r\nHost: a.example\r\n\r\nGET / HTTP/1.1\r\nHost: a.example/x\r\n\r\n"
        )
        guard case .request = parser.next(from: &buffer) else {
            Issue.record("the first request was not parsed")
            return
        }
        guard case .failed(let error) = parser.next(from: &buffer) else {
            Issue.record("an invalid Host was accepted after a valid one")
            return
        }
        #expect(error == .invalidHost)
    }
}
