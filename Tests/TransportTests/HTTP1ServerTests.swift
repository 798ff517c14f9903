import HTTPTypes
import NIOCore
import NIOEmbedded
import Testing

@testable import GatehouseTransport

@Suite("HTTP1Server")
struct HTTP1ServerTests {
    @Test func getIsAnsweredWithBodyAndContentLength() throws {
        let connection = try HTTP1TestConnection()
        connection.send("GET /api/hello?name=x HTTP/1.1\r\nHost: example.com\r\nX-Trace: 1\r\n\r\n")
        let responses = try connection.responses()
        try #require(responses.count == 1)
        #expect(responses[0].code == 200)
        #expect(responses[0].header("content-length") == "5")
        #expect(responses[0].body == "hello")
        #expect(responses[0].header("connection") == nil)
        let request = try #require(connection.dispatcher.requests.first)
        #expect(request.stream == StreamID(1))
        #expect(request.request.head.method == .get)
        #expect(request.request.head.scheme == "https")
        #expect(request.request.head.authority == "example.com")
        #expect(request.request.head.path == "/api/hello?name=x")
        #expect(request.request.head.headerFields[HTTPField.Name("X-Trace")!] == "1")
        #expect(request.request.head.headerFields[HTTPField.Name("Host")!] == nil)
        #expect(connection.isOpen)
    }

    @Test func percentEncodedPathSurvivesUnchanged() throws {
        let connection = try HTTP1TestConnection()
        connection.send("GET /a%2Fb/c%20d?q=%41+b HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(connection.dispatcher.requests.first?.request.head.path == "/a%2Fb/c%20d?q=%41+b")
    }

    @Test func headGetsTheHeadOnlyWithTheBodysLength() throws {
        let connection = try HTTP1TestConnection()
        connection.send("HEAD / HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n")
        let text = try connection.outboundText()
        let responses = try connection.responses(headRequests: [0])
        try #require(responses.count == 2)
        #expect(responses[0].header("content-length") == "5")
        #expect(responses[0].body == "")
        #expect(responses[1].body == "hello")
        #expect(text.ranges(of: "hello").count == 1)  // the body was sent once, for the GET
    }

    @Test func postWithContentLengthIsCollected() throws {
        let connection = try HTTP1TestConnection()
        connection.send("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello")
        #expect(connection.dispatcher.requests.isEmpty)
        connection.send(" world")
        let responses = try connection.responses()
        #expect(responses.map(\.body) == ["hello world"])
        #expect(connection.dispatcher.requests.first?.request.head.headerFields[.contentLength] == "11")
    }

    @Test func postWithChunkedBodyIsCollected() throws {
        let connection = try HTTP1TestConnection()
        connection.send("POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
        connection.send("6\r\n world\r\n0\r\n\r\n")
        let responses = try connection.responses()
        #expect(responses.map(\.body) == ["hello world"])
        #expect(responses.first?.header("content-length") == "11")
        #expect(connection.dispatcher.requests.first?.request.head.headerFields[.transferEncoding] == nil)
    }

    @Test func keepAliveServesTwoRequestsOnOneConnection() throws {
        let connection = try HTTP1TestConnection()
        connection.send("GET /1 HTTP/1.1\r\nHost: h\r\n\r\n")
        connection.send("GET /2 HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(try connection.responses().map(\.code) == [200, 200])
        #expect(connection.dispatcher.requests.map(\.stream) == [StreamID(1), StreamID(2)])
        #expect(connection.isOpen)
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        let connection = try HTTP1TestConnection(dispatcher: HTTP1RecordingDispatcher(respond: nil))
        connection.send(
            "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n"
                + "POST /3 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
        )
        // One request at a time: the next is delivered when the previous one is answered.
        #expect(connection.dispatcher.requests.map { $0.request.head.path } == ["/1"])
        connection.dispatcher.answer(.text("one"))
        connection.dispatcher.answer(.text("two"))
        #expect(connection.dispatcher.requests.last?.request.body == ByteBuffer(string: "abc"))
        connection.dispatcher.answer(.text("three"))
        #expect(try connection.responses().map(\.body) == ["one", "two", "three"])
        #expect(connection.dispatcher.requests.map(\.stream) == [StreamID(1), StreamID(2), StreamID(3)])
        #expect(connection.isOpen)
    }

    @Test func connectionCloseFromClientClosesAfterTheResponse() throws {
        let connection = try HTTP1TestConnection()
        connection.send("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
        let responses = try connection.responses()
        #expect(responses.map(\.code) == [200])
        #expect(responses.first?.header("connection") == "close")
        #expect(!connection.isOpen)
        #expect(connection.dispatcher.requests.first?.request.head.headerFields[.connection] == nil)
    }

    @Test func http10WithoutKeepAliveCloses() throws {
        let connection = try HTTP1TestConnection()
        connection.send("GET / HTTP/1.0\r\n\r\n")
        let responses = try connection.responses()
        #expect(responses.first?.version == "HTTP/1.0")
        #expect(responses.first?.header("connection") == "close")
        #expect(!connection.isOpen)
    }

    @Test func http10WithKeepAliveStaysOpen() throws {
        let connection = try HTTP1TestConnection()
        connection.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        #expect(try connection.responses().first?.header("connection") == "keep-alive")
        #expect(connection.isOpen)
    }

    @Test func reasonPhraseIsPreservedOnTheStatusLine() throws {
        let dispatcher = HTTP1RecordingDispatcher { _ in
            .problem(status: .forbidden, title: "Invalid client certificate")
        }
        let connection = try HTTP1TestConnection(dispatcher: dispatcher)
        connection.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(try connection.outboundText().hasPrefix("HTTP/1.1 403 Invalid client certificate\r\n"))
        #expect(connection.isOpen)
    }

    @Test func responseAskingToCloseClosesTheConnection() throws {
        let dispatcher = HTTP1RecordingDispatcher { _ in
            Response(status: .ok, headerFields: [.connection: "close"], body: ByteBuffer(string: "bye"))
        }
        let connection = try HTTP1TestConnection(dispatcher: dispatcher)
        connection.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(try connection.responses().first?.header("connection") == "close")
        #expect(!connection.isOpen)
    }

    @Test func noContentHasNoContentLength() throws {
        let connection = try HTTP1TestConnection(
            dispatcher: HTTP1RecordingDispatcher { _ in Response(status: .noContent) }
        )
        connection.send("DELETE /x HTTP/1.1\r\nHost: h\r\n\r\n")
        let response = try #require(try connection.responses().first)
        #expect(response.code == 204)
        #expect(response.header("content-length") == nil)
        #expect(response.header("transfer-encoding") == nil)
    }

    @Test func closingWithARequestInFlightCancelsIt() throws {
        let connection = try HTTP1TestConnection(dispatcher: HTTP1RecordingDispatcher(respond: nil))
        connection.send("GET /slow HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(connection.dispatcher.cancelled.isEmpty)
        _ = try connection.channel.close().wait()
        #expect(connection.dispatcher.cancelled == [StreamID(1)])
        connection.dispatcher.answer()  // a late answer after the close is dropped, not a crash
    }
}
