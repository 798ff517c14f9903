import HTTPTypes
import NIOCore
import NIOEmbedded
import Testing

@testable import GatehouseTransport

@Suite("HTTP1Handler")
struct HTTP1HandlerTests {
    @Test func aResponseIsOneBufferFlushedWhenTheReadBatchEnds() throws {
        let connection = try HTTP1TestConnection()
        let request = ByteBuffer(string: "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n")
        connection.channel.pipeline.fireChannelRead(request)
        // Both requests were answered inline, but nothing is flushed before the batch ends.
        #expect(connection.dispatcher.requests.count == 2)
        #expect(try connection.channel.readOutbound(as: ByteBuffer.self) == nil)
        connection.channel.pipeline.fireChannelReadComplete()
        let first = try #require(try connection.channel.readOutbound(as: ByteBuffer.self))
        let second = try #require(try connection.channel.readOutbound(as: ByteBuffer.self))
        #expect(try connection.channel.readOutbound(as: ByteBuffer.self) == nil)
        #expect(String(buffer: first).hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(String(buffer: first).hasSuffix("\r\n\r\nhello"))  // head and body in one buffer
        #expect(String(buffer: second).hasSuffix("\r\n\r\nhello"))
    }

    @Test func aLaterResponseIsFlushedAtOnce() throws {
        let connection = try HTTP1TestConnection(dispatcher: HTTP1RecordingDispatcher(respond: nil))
        connection.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
        connection.dispatcher.answer(.text("late"))
        let buffer = try #require(try connection.channel.readOutbound(as: ByteBuffer.self))
        #expect(String(buffer: buffer).hasSuffix("\r\n\r\nlate"))
    }

    @Test func aLargeBodyIsWrittenWithoutCopying() throws {
        let body = ByteBuffer(repeating: 0x62, count: 100_000)
        let dispatcher = HTTP1RecordingDispatcher { _ in Response(status: .ok, body: body) }
        let connection = try HTTP1TestConnection(dispatcher: dispatcher)
        connection.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
        let head = try #require(try connection.channel.readOutbound(as: ByteBuffer.self))
        #expect(String(buffer: head).hasSuffix("Content-Length: 100000\r\n\r\n"))
        #expect(try connection.channel.readOutbound(as: ByteBuffer.self) == body)
    }

    @Test(arguments: [
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nContent-Length: 44\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nX: y\r\n z\r\n\r\n0\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nX: a\rGET /smuggled HTTP/1.1\r\n\r\n",
    ])
    func smugglingAttemptsGet400AndNothingIsDispatched(input: String) throws {
        let connection = try HTTP1TestConnection()
        connection.send(input)
        let responses = try connection.responses()
        #expect(responses.map(\.code) == [400])
        #expect(responses.first?.header("connection") == "close")
        #expect(!connection.isOpen)
        #expect(connection.dispatcher.requests.isEmpty)
    }

    @Test(arguments: [
        ("GET /\(String(repeating: "a", count: 17 * 1024)) HTTP/1.1\r\nHost: h\r\n\r\n", 414),
        ("GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
    ])
    func unsupportedRequestsGetTheirStatusAndClose(input: String, code: Int) throws {
        let connection = try HTTP1TestConnection()
        connection.send(input)
        #expect(try connection.responses().map(\.code) == [code])
        #expect(!connection.isOpen)
    }

    @Test func readsStopWhilePipelinedBytesPileUpBehindARequestInFlight() throws {
        var limits = ConnectionLimits()
        limits.maxBodySize = 200_000
        let connection = try HTTP1TestConnection(limits: limits, dispatcher: HTTP1RecordingDispatcher(respond: nil))
        let counter = ReadCounter()
        try connection.channel.pipeline.syncOperations.addHandler(counter, position: .first)
        connection.send("GET /1 HTTP/1.1\r\nHost: h\r\n\r\n")
        connection.channel.read()
        #expect(counter.reads == 1)
        let body = String(repeating: "x", count: HTTP1ServerHandler.maxBufferedBytes)
        connection.send("POST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        connection.channel.read()
        #expect(counter.reads == 1)  // held back
        connection.dispatcher.answer(.text("one"))
        #expect(connection.dispatcher.requests.map { $0.request.head.path } == ["/1", "/2"])
        #expect(counter.reads == 2)  // the buffer drained: the held read goes on
        connection.dispatcher.answer(.text("two"))
        #expect(try connection.responses().map(\.body) == ["one", "two"])
    }

    @Test func bytesAfterConnectionCloseAreIgnored() throws {
        let connection = try HTTP1TestConnection(dispatcher: HTTP1RecordingDispatcher(respond: nil))
        connection.send("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n")
        connection.dispatcher.answer(.text("only"))
        #expect(try connection.responses().map(\.body) == ["only"])
        #expect(connection.dispatcher.requests.count == 1)
        #expect(!connection.isOpen)
    }

    @Test func aRequestArrivingDuringAnAsyncResponseWaitsForIt() throws {
        let connection = try HTTP1TestConnection(dispatcher: HTTP1RecordingDispatcher(respond: nil))
        connection.send("GET /1 HTTP/1.1\r\nHost: h\r\n\r\n")
        connection.send("GET /2 HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(connection.dispatcher.requests.map { $0.request.head.path } == ["/1"])
        connection.dispatcher.answer(.text("one"))
        #expect(connection.dispatcher.requests.map { $0.request.head.path } == ["/1", "/2"])
        connection.dispatcher.answer(.text("two"))
        #expect(try connection.responses().map(\.body) == ["one", "two"])
    }

    @Test func aSlowSecondRequestGets408FromItsFirstByte() throws {
        var limits = ConnectionLimits()
        limits.idleTimeout = .seconds(60)
        limits.requestHeadTimeout = .seconds(30)
        let connection = try HTTP1TestConnection(limits: limits)
        connection.send("GET /1 HTTP/1.1\r\nHost: h\r\n\r\n")
        connection.channel.embeddedEventLoop.advanceTime(by: .seconds(45))
        connection.send("GET /2 HTTP/1.1\r\n")
        connection.channel.embeddedEventLoop.advanceTime(by: .seconds(29))
        #expect(connection.isOpen)
        connection.channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(try connection.responses().map(\.code) == [200, 408])
        #expect(!connection.isOpen)
    }
}
