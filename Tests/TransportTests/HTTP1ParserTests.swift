import HTTPTypes
import NIOCore
import Testing

@testable import GatehouseTransport

/// Feeds `text` to a fresh parser and collects its events until it needs more data or fails.
private func parse(_ text: String, maxHeadSize: Int = 1024) -> [HTTP1TestEvent] {
    var parser = HTTP1RequestParser(maxHeadSize: maxHeadSize)
    var buffer = ByteBuffer(string: text)
    return HTTP1TestEvent.drain(&parser, &buffer)
}

/// The parse error `text` produces, if any.
private func parseError(_ text: String, maxHeadSize: Int = 1024) -> HTTP1ParseError? {
    for event in parse(text, maxHeadSize: maxHeadSize) {
        if case .failed(let error) = event { return error }
    }
    return nil
}

/// The one head `text` holds, or `nil` when it fails.
private func head(_ text: String) -> HTTP1RequestHead? {
    var parser = HTTP1RequestParser(maxHeadSize: 1024)
    var buffer = ByteBuffer(string: text)
    switch parser.next(from: &buffer) {
    case .head(let head), .request(let head): return head
    default: return nil
    }
}

/// A parser event with the head reduced to what the tests compare.
enum HTTP1TestEvent: Equatable {
    case head(method: String, path: String, authority: String?)
    case body(String)
    case end
    case failed(HTTP1ParseError)

    static func head(_ request: HTTPRequest) -> HTTP1TestEvent {
        .head(method: request.method.rawValue, path: request.path ?? "", authority: request.authority)
    }

    static func drain(_ parser: inout HTTP1RequestParser, _ buffer: inout ByteBuffer) -> [HTTP1TestEvent] {
        var events: [HTTP1TestEvent] = []
        while true {
            switch parser.next(from: &buffer) {
            case .needMoreData:
                return events
            case .head(let head):
                events.append(.head(head.request))
            case .request(let head):
                // A request without a body: its head and its end in one event.
                events.append(.head(head.request))
                events.append(.end)
            case .body(let chunk):
                // Adjacent body pieces are merged, so the result does not depend on how the bytes were split.
                if case .body(let previous) = events.last {
                    events[events.count - 1] = .body(previous + String(buffer: chunk))
                } else {
                    events.append(.body(String(buffer: chunk)))
                }
            case .end:
                events.append(.end)
            case .failed(let error):
                events.append(.failed(error))
                return events
            }
        }
    }
}

@Suite("HTTP1Parser")
struct HTTP1ParserTests {
    // MARK: Well-formed requests

    @Test func simpleGetBecomesAnHTTPRequest() throws {
        let parsed = try #require(head("GET /api/hello?name=x HTTP/1.1\r\nHost: example.com\r\nX-Trace: 1\r\n\r\n"))
        #expect(parsed.request.method == .get)
        #expect(parsed.request.scheme == "https")
        #expect(parsed.request.authority == "example.com")
        #expect(parsed.request.path == "/api/hello?name=x")
        #expect(parsed.request.headerFields.map(\.name.rawName) == ["X-Trace"])
        #expect(parsed.request.headerFields[HTTPField.Name("x-trace")!] == "1")
        #expect(parsed.version == .http1_1)
        #expect(parsed.framing == .none)
        #expect(parsed.keepAlive)
        #expect(!parsed.asksToUpgrade)
        #expect(parsed.expectation == .none)
    }

    @Test func aRequestWithoutBodyOrExpectationComesAsOneEvent() {
        func kinds(_ text: String) -> [String] {
            var parser = HTTP1RequestParser(maxHeadSize: 1024)
            var buffer = ByteBuffer(string: text)
            var kinds: [String] = []
            while true {
                switch parser.next(from: &buffer) {
                case .needMoreData: return kinds
                case .request: kinds.append("request")
                case .head: kinds.append("head")
                case .body: kinds.append("body")
                case .end: kinds.append("end")
                case .failed: return kinds + ["failed"]
                }
            }
        }
        #expect(kinds("GET / HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n") == ["request", "request"])
        #expect(kinds("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n") == ["request"])
        #expect(
            kinds("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nExpect: 100-continue\r\n\r\n") == ["head", "end"]
        )
        #expect(kinds("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nab") == ["head", "body", "end"])
    }

    @Test func eventsDoNotDependOnHowTheBytesArrive() {
        let text =
            "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
            + "PUT /b HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nT: v\r\n\r\n"
            + "DELETE /c HTTP/1.1\r\nHost: h\r\n\r\n"
        let expected: [HTTP1TestEvent] = [
            .head(method: "POST", path: "/a", authority: "h"), .body("hello"), .end,
            .head(method: "PUT", path: "/b", authority: "h"), .body("abcde"), .end,
            .head(method: "DELETE", path: "/c", authority: "h"), .end,
        ]
        #expect(parse(text) == expected)
        // One byte at a time.
        var parser = HTTP1RequestParser(maxHeadSize: 1024)
        var buffer = ByteBuffer()
        var events: [HTTP1TestEvent] = []
        for byte in text.utf8 {
            buffer.writeInteger(byte)
            for event in HTTP1TestEvent.drain(&parser, &buffer) {
                if case .body(let more) = event, case .body(let previous) = events.last {
                    events[events.count - 1] = .body(previous + more)
                } else {
                    events.append(event)
                }
            }
        }
        #expect(events == expected)
        #expect(buffer.readableBytes == 0)
    }

    @Test func emptyLinesBeforeARequestAreIgnored() {
        #expect(
            parse("\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n") == [
                .head(method: "GET", path: "/", authority: "h"), .end,
            ]
        )
    }

    @Test func otherMethodsAndOptionsStar() throws {
        #expect(try #require(head("PATCH /x HTTP/1.1\r\nHost: h\r\n\r\n")).request.method == .patch)
        #expect(try #require(head("M-SEARCH /x HTTP/1.1\r\nHost: h\r\n\r\n")).request.method.rawValue == "M-SEARCH")
        #expect(try #require(head("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n")).request.path == "*")
    }

    @Test func fieldValuesAreTrimmedAndKeepObsText() throws {
        let parsed = try #require(
            head("GET / HTTP/1.1\r\nHost: h\r\nX-A: \t a b \t\r\nX-Empty:\r\nX-Utf8: caf\u{E9}\r\n\r\n")
        )
        #expect(parsed.request.headerFields[HTTPField.Name("x-a")!] == "a b")
        #expect(parsed.request.headerFields[HTTPField.Name("x-empty")!] == "")
        #expect(parsed.request.headerFields[HTTPField.Name("x-utf8")!] == "caf\u{E9}")
    }

    @Test func connectionFieldsAreDroppedAndContentLengthKept() throws {
        let parsed = try #require(
            head(
                "POST / HTTP/1.1\r\nHost: h\r\nConnection: X-Hop, keep-alive\r\nX-Hop: 1\r\nKeep-Alive: timeout=5\r\n"
                    + "Proxy-Connection: x\r\nUpgrade: y\r\nExpect: 100-continue\r\nContent-Length: 0\r\nX-End: 2\r\n\r\n"
            )
        )
        #expect(parsed.request.headerFields.map(\.name.canonicalName) == ["content-length", "x-end"])
        #expect(parsed.expectation == .continue)
        #expect(parsed.framing == .length(0))
    }

    @Test func keepAliveFollowsTheVersionAndConnection() throws {
        #expect(try #require(head("GET / HTTP/1.1\r\nHost: h\r\nConnection: CLOSE\r\n\r\n")).keepAlive == false)
        #expect(try #require(head("GET / HTTP/1.0\r\n\r\n")).keepAlive == false)
        #expect(try #require(head("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")).keepAlive == true)
        #expect(try #require(head("GET / HTTP/1.0\r\n\r\n")).version == .http1_0)
        #expect(try #require(head("GET / HTTP/1.9\r\nHost: h\r\n\r\n")).version == .http1_1)
        #expect(try #require(head("GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\n\r\n")).asksToUpgrade)
    }

    @Test func expectations() throws {
        #expect(
            try #require(head("GET / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\n\r\n")).expectation == .continue
        )
        #expect(try #require(head("GET / HTTP/1.1\r\nHost: h\r\nExpect: teapot\r\n\r\n")).expectation == .unsupported)
        #expect(
            try #require(head("GET / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue, x\r\n\r\n")).expectation
                == .unsupported
        )
        #expect(try #require(head("GET / HTTP/1.0\r\nExpect: teapot\r\n\r\n")).expectation == .none)
    }

    @Test(arguments: [
        "Host: a b\r\n", "Host: localhost:abc\r\n", "Host: user@localhost\r\n", "Host:\r\n", "Host: :80\r\n",
        "Host: [::1\r\n", "Host: h\r\nHost: h\r\n", "",
    ])
    func missingRepeatedOrInvalidHostIsRefused(fields: String) {
        #expect(parseError("GET / HTTP/1.1\r\n\(fields)\r\n") == .invalidHost)
        #expect(HTTP1ParseError.invalidHost.response.status.code == 400)
    }

    @Test func validHostsAndHTTP10WithoutOne() throws {
        for host in ["localhost:", "127.0.0.1:8443", "[::1]:8443", "xn--bcher-kva.example"] {
            #expect(try #require(head("GET / HTTP/1.1\r\nHost: \(host)\r\n\r\n")).request.authority == host)
        }
        #expect(try #require(head("GET / HTTP/1.0\r\n\r\n")).request.authority == nil)
        #expect(parseError("GET / HTTP/1.0\r\nHost: a b\r\n\r\n") == .invalidHost)
    }

    @Test func absoluteFormNeedsHostAndAValidAuthority() {
        #expect(parseError("GET https://api.example.com/x HTTP/1.1\r\n\r\n") == .invalidHost)
        #expect(parseError("GET https://user@api.example.com/x HTTP/1.1\r\nHost: h\r\n\r\n") == .invalidTarget)
        #expect(parseError("GET https://api.example.com:x/ HTTP/1.1\r\nHost: h\r\n\r\n") == .invalidTarget)
    }

    @Test func absoluteFormTargetGivesTheAuthority() throws {
        let parsed = try #require(head("GET https://api.example.com:8443/x?y=1 HTTP/1.1\r\nHost: other\r\n\r\n"))
        #expect(parsed.request.authority == "api.example.com:8443")
        #expect(parsed.request.path == "/x?y=1")
        #expect(try #require(head("GET http://a.example HTTP/1.1\r\nHost: a.example\r\n\r\n")).request.path == "/")
    }

    @Test func chunkedBodyWithTrailers() {
        let text =
            "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n"
            + "A\r\n0123456789\r\n00a ; name=\"v\"\r\nabcdefghij\r\n0\r\nX-Checksum: 1\r\nY: 2\r\n\r\n"
        #expect(parse(text) == [.head(method: "POST", path: "/", authority: "h"), .body("0123456789abcdefghij"), .end])
    }

    // MARK: Refused: framing (request smuggling)

    @Test(arguments: [
        ("Content-Length: 5\r\nTransfer-Encoding: chunked", HTTP1ParseError.invalidTransferEncoding),
        ("Transfer-Encoding: chunked\r\nContent-Length: 5", .invalidTransferEncoding),
        ("Content-Length: 5\r\nContent-Length: 5", .invalidContentLength),
        ("Content-Length: 5\r\nContent-Length: 6", .invalidContentLength),
        ("Content-Length: 5, 5", .invalidContentLength),
        ("Content-Length: +5", .invalidContentLength),
        ("Content-Length: -1", .invalidContentLength),
        ("Content-Length: 5x", .invalidContentLength),
        ("Content-Length: 0x5", .invalidContentLength),
        ("Content-Length: 5 5", .invalidContentLength),
        ("Content-Length:", .invalidContentLength),
        ("Content-Length: 99999999999999999999", .invalidContentLength),
        ("Transfer-Encoding: chunked, chunked", .invalidTransferEncoding),
        ("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked", .invalidTransferEncoding),
        ("Transfer-Encoding: chunked, gzip", .invalidTransferEncoding),
        ("Transfer-Encoding: gzip", .invalidTransferEncoding),
        ("Transfer-Encoding: xchunked", .invalidTransferEncoding),
        ("Transfer-Encoding: chunked,", .invalidTransferEncoding),
        ("Transfer-Encoding:", .invalidTransferEncoding),
        ("Transfer-Encoding: \"chunked\"", .invalidTransferEncoding),
        ("Transfer-Encoding: gzip, chunked", .unsupportedTransferEncoding),
        ("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked", .unsupportedTransferEncoding),
    ])
    func ambiguousFramingIsRefused(fields: String, error: HTTP1ParseError) {
        #expect(parseError("POST / HTTP/1.1\r\nHost: h\r\n\(fields)\r\n\r\n") == error)
    }

    @Test func transferEncodingOnHTTP10IsRefused() {
        #expect(parseError("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n") == .invalidTransferEncoding)
    }

    @Test(arguments: [
        "zz\r\n",  // not hex
        "0x5\r\n",
        "-1\r\n",
        "\r\n",  // empty size
        " 5\r\nhello\r\n",  // whitespace before the size
        "5 x\r\nhello\r\n",  // garbage after the size
        "1000000000000000\r\n",  // 16 hex digits
        "5\nhello\r\n",  // bare LF
        "5;a\u{1}b\r\nhello\r\n",  // control character in an extension
        "5\r\nhelloXX",  // data not followed by CRLF
        "5\r\nhello\n0\r\n\r\n",
        "0\r\n folded: x\r\n\r\n",  // malformed trailer
        "0\r\nNo colon\r\n\r\n",
        "0\r\nX: a\rb\r\n\r\n",
    ])
    func malformedChunkIsRefused(chunks: String) {
        let text = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks
        #expect(parseError(text) == .invalidChunk)
    }

    @Test func overlongChunkLineAndTrailersAreRefused() {
        let prefix = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        let longExtension = "5;" + String(repeating: "x", count: HTTP1RequestParser.maxChunkLineLength)
        #expect(parseError(prefix + longExtension) == .invalidChunk)
        let bigTrailer = "0\r\nX: " + String(repeating: "y", count: 2000) + "\r\n\r\n"
        #expect(parseError(prefix + bigTrailer) == .headTooLarge)
    }

    // MARK: Refused: head syntax

    @Test(arguments: [
        ("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n", HTTP1ParseError.invalidFieldLine),  // obs-fold
        ("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n\tb\r\n\r\n", .invalidFieldLine),
        ("GET / HTTP/1.1\r\n Host: h\r\n\r\n", .invalidFieldLine),  // whitespace before the first field
        ("GET / HTTP/1.1\r\nHost : h\r\n\r\n", .invalidFieldLine),  // whitespace before the colon
        ("GET / HTTP/1.1\r\nHost: h\r\nB(d: x\r\n\r\n", .invalidFieldLine),
        ("GET / HTTP/1.1\r\nHost: h\r\n: x\r\n\r\n", .invalidFieldLine),
        ("GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n", .invalidFieldLine),
        ("GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n", .invalidFieldLine),  // bare CR in a value
        ("GET / HTTP/1.1\r\nHost: h\r\nX: a\u{0}b\r\n\r\n", .invalidFieldLine),
        ("GET / HTTP/1.1\r\nHost: h\r\nX: a\u{7F}b\r\n\r\n", .invalidFieldLine),
        ("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\r\n\r\n", .invalidFieldLine),
        ("GET / HTTP/1.1\nHost: h\r\n\r\n", .invalidLineEnding),  // bare LF
        ("GET / HTTP/1.1\r\nHost: h\n\r\n", .invalidLineEnding),
        ("GET / HTTP/1.1\r\nHost: h\r\n\n", .invalidLineEnding),
        ("\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", .invalidLineEnding),
        ("GET /\r HTTP/1.1\r\nHost: h\r\n\r\n", .invalidRequestLine),  // bare CR in the request line
        ("GET  / HTTP/1.1\r\nHost: h\r\n\r\n", .invalidRequestLine),
        ("GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n", .invalidRequestLine),
        (" GET / HTTP/1.1\r\nHost: h\r\n\r\n", .invalidRequestLine),
        ("GET / HTTP/1.1 \r\nHost: h\r\n\r\n", .invalidRequestLine),
        ("GET / http/1.1\r\nHost: h\r\n\r\n", .invalidRequestLine),
        ("GET / HTTP/1.10\r\nHost: h\r\n\r\n", .invalidRequestLine),
        ("GET / HTTP/1\r\nHost: h\r\n\r\n", .invalidRequestLine),
        ("GET /\u{E9} HTTP/1.1\r\nHost: h\r\n\r\n", .invalidRequestLine),  // non-ASCII target
        ("G@T / HTTP/1.1\r\nHost: h\r\n\r\n", .invalidRequestLine),
        ("GET HTTP/1.1\r\nHost: h\r\n\r\n", .invalidRequestLine),
        ("garbage\r\n\r\n", .invalidRequestLine),
        ("GET / HTTP/2.0\r\nHost: h\r\n\r\n", .versionNotSupported),
        ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", .versionNotSupported),
        ("GET / HTTP/1.1\r\n\r\n", .invalidHost),
        ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", .invalidHost),
        ("GET relative HTTP/1.1\r\nHost: h\r\n\r\n", .invalidTarget),
        ("GET * HTTP/1.1\r\nHost: h\r\n\r\n", .invalidTarget),
        ("GET ftp://h/x HTTP/1.1\r\nHost: h\r\n\r\n", .invalidTarget),
        ("GET https:///x HTTP/1.1\r\nHost: h\r\n\r\n", .invalidTarget),
    ])
    func malformedHeadIsRefused(text: String, error: HTTP1ParseError) {
        #expect(parseError(text) == error)
    }

    @Test func headLimits() {
        let longTarget = "/" + String(repeating: "a", count: 200)
        #expect(parseError("GET \(longTarget) HTTP/1.1\r\nHost: h\r\n\r\n", maxHeadSize: 100) == .requestLineTooLong)
        #expect(parseError("GET \(longTarget)", maxHeadSize: 100) == .requestLineTooLong)  // still arriving
        let bigField = "X: " + String(repeating: "b", count: 200)
        #expect(parseError("GET / HTTP/1.1\r\nHost: h\r\n\(bigField)\r\n\r\n", maxHeadSize: 100) == .headTooLarge)
        #expect(parseError("GET / HTTP/1.1\r\nHost: h\r\n\(bigField)", maxHeadSize: 100) == .headTooLarge)
        // Exactly at the limit is accepted.
        let exact = "GET / HTTP/1.1\r\nHost: h\r\n\r\n"
        #expect(parse(exact, maxHeadSize: exact.utf8.count) == [.head(method: "GET", path: "/", authority: "h"), .end])
        #expect(parseError(exact, maxHeadSize: exact.utf8.count - 1) == .headTooLarge)
    }

    @Test func aFailedParserStaysFailed() {
        var parser = HTTP1RequestParser(maxHeadSize: 1024)
        var buffer = ByteBuffer(string: "GET / HTTP/1.1\nHost: h\r\n\r\n")
        #expect(HTTP1TestEvent.drain(&parser, &buffer) == [.failed(.invalidLineEnding)])
        buffer.writeString("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(HTTP1TestEvent.drain(&parser, &buffer) == [.failed(.invalidLineEnding)])
    }

    @Test func everyParseErrorHasAnAnswer() {
        #expect(HTTP1ParseError.invalidChunk.response.status == .badRequest)
        #expect(HTTP1ParseError.unsupportedTransferEncoding.response.status == .notImplemented)
        #expect(HTTP1ParseError.requestLineTooLong.response.status == .uriTooLong)
        #expect(HTTP1ParseError.headTooLarge.response.status == .requestHeaderFieldsTooLarge)
        #expect(HTTP1ParseError.versionNotSupported.response.status == .httpVersionNotSupported)
    }
}
