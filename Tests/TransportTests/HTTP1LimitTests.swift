import HTTPTypes
import NIOCore
import NIOEmbedded
import Testing

@testable import GatehouseTransport

@Suite("HTTP1Limits")
struct HTTP1LimitTests {
    private static func limits(maxBodySize: Int = 16) -> ConnectionLimits {
        var limits = ConnectionLimits()
        limits.maxBodySize = maxBodySize
        return limits
    }

    /// A refused body is drained: the connection stays open for ``HTTP1ServerHandler/drainTime``, then closes.
    private static func expectClosedAfterDraining(
        _ connection: HTTP1TestConnection,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(connection.isOpen, sourceLocation: sourceLocation)
        connection.channel.embeddedEventLoop.advanceTime(by: HTTP1ServerHandler.drainTime)
        #expect(!connection.isOpen, sourceLocation: sourceLocation)
    }

    @Test func expectContinueGetsContinueThenTheFinalResponse() throws {
        let connection = try HTTP1TestConnection(limits: Self.limits())
        connection.send("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        #expect(try connection.outboundText() == "HTTP/1.1 100 Continue\r\n\r\n")
        connection.send("hello")
        let responses = try connection.responses()
        #expect(responses.map(\.code) == [100, 200])
        #expect(responses.last?.body == "hello")
        #expect(connection.dispatcher.requests.first?.request.head.headerFields[.expect] == nil)
        #expect(connection.isOpen)
    }

    @Test func expectContinueWithTooLargeLengthGets413WithoutContinue() throws {
        let connection = try HTTP1TestConnection(limits: Self.limits())
        connection.send("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 17\r\nExpect: 100-continue\r\n\r\n")
        let responses = try connection.responses()
        #expect(responses.map(\.code) == [413])
        #expect(responses.first?.reason == "Content too large")
        #expect(responses.first?.header("connection") == "close")
        Self.expectClosedAfterDraining(connection)
        #expect(connection.dispatcher.requests.isEmpty)
    }

    @Test func unknownExpectationGets417() throws {
        let connection = try HTTP1TestConnection()
        connection.send("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nExpect: teapot\r\n\r\n")
        #expect(try connection.responses().map(\.code) == [417])
        Self.expectClosedAfterDraining(connection)
    }

    @Test func declaredBodyOverTheLimitGets413AndCloses() throws {
        let connection = try HTTP1TestConnection(limits: Self.limits())
        connection.send("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 17\r\n\r\n")
        let responses = try connection.responses()
        #expect(responses.map(\.code) == [413])
        #expect(responses.first?.header("content-type") == "application/problem+json")
        #expect(responses.first?.body.contains("\"title\":\"Content too large\"") == true)
        Self.expectClosedAfterDraining(connection)
        #expect(connection.dispatcher.requests.isEmpty)
    }

    @Test func chunkedBodyGrowingOverTheLimitGets413AndCloses() throws {
        let connection = try HTTP1TestConnection(limits: Self.limits())
        connection.send("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n")
        connection.send("a\r\n0123456789\r\n")
        #expect(try connection.responses().isEmpty)
        connection.send("a\r\n0123456789\r\n0\r\n\r\n")
        let responses = try connection.responses()
        #expect(responses.map(\.code) == [413])
        #expect(responses.first?.header("connection") == "close")
        Self.expectClosedAfterDraining(connection)
        #expect(connection.dispatcher.requests.isEmpty)
    }

    @Test func aRefusedBodyIsDroppedUntilTheDrainBudgetIsSpentAndNothingIsAnsweredAfterTheRefusal() throws {
        var limits = Self.limits()
        limits.requestBodyTimeout = .seconds(1)
        let connection = try HTTP1TestConnection(limits: limits)
        connection.send("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n20\r\n")
        connection.send(String(repeating: "x", count: 17))
        #expect(try connection.responses().map(\.code) == [413])
        // Dropped, not parsed: a request in the refused body is never dispatched.
        connection.send("GET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n")
        connection.channel.embeddedEventLoop.advanceTime(by: .seconds(1))  // the body timeout: no 408 follows
        #expect(connection.isOpen)
        let piece = String(repeating: "x", count: 64 * 1024)
        for _ in 0..<(HTTP1ServerHandler.maxDrainedBytes / piece.utf8.count) { connection.send(piece) }
        #expect(!connection.isOpen)  // the budget is spent before the drain time is over
        #expect(try connection.responses().map(\.code) == [413])
        #expect(connection.dispatcher.requests.isEmpty)
    }

    @Test func bodyExactlyAtTheLimitIsAccepted() throws {
        let connection = try HTTP1TestConnection(limits: Self.limits())
        connection.send("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 16\r\n\r\n0123456789abcdef")
        #expect(try connection.responses().map(\.body) == ["0123456789abcdef"])
    }

    @Test func headerBlockOverTheLimitGets431AndCloses() throws {
        let connection = try HTTP1TestConnection()
        let big = String(repeating: "a", count: 20 * 1024)
        connection.send("GET / HTTP/1.1\r\nHost: h\r\nX-Big: \(big)\r\n\r\n")
        let responses = try connection.responses()
        #expect(responses.map(\.code) == [431])
        #expect(responses.first?.reason == "Request header fields too large")
        #expect(responses.first?.header("connection") == "close")
        #expect(!connection.isOpen)
        #expect(connection.dispatcher.requests.isEmpty)
    }

    @Test(arguments: [
        "garbage\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: x\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ])
    func malformedInputGets400AndCloses(input: String) throws {
        let connection = try HTTP1TestConnection()
        connection.send(input)
        let responses = try connection.responses()
        #expect(responses.map(\.code) == [400])
        #expect(responses.first?.reason == "Bad request")
        #expect(responses.first?.header("connection") == "close")
        #expect(!connection.isOpen)
    }

    @Test(arguments: [
        "GET / HTTP/1.1\r\n\r\n",  // HTTP/1.1 without Host
        "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        "GET relative HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET * HTTP/1.1\r\nHost: h\r\n\r\n",
    ])
    func invalidHeadGets400AndCloses(input: String) throws {
        let connection = try HTTP1TestConnection()
        connection.send(input)
        #expect(try connection.responses().map(\.code) == [400])
        #expect(!connection.isOpen)
        #expect(connection.dispatcher.requests.isEmpty)
    }

    @Test func absoluteFormTargetGivesAuthorityAndPath() throws {
        let connection = try HTTP1TestConnection()
        connection.send("GET https://api.example.com:8443/x?y=1 HTTP/1.1\r\nHost: other\r\n\r\n")
        let head = try #require(connection.dispatcher.requests.first?.request.head)
        #expect(head.authority == "api.example.com:8443")
        #expect(head.path == "/x?y=1")
    }

    @Test func malformedRequestPipelinedBehindOneInFlightIsAnsweredAfterIt() throws {
        let connection = try HTTP1TestConnection(dispatcher: HTTP1RecordingDispatcher(respond: nil))
        connection.send("GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\nHost: h\r\n\r\n")
        #expect(try connection.responses().isEmpty)
        #expect(connection.isOpen)
        connection.dispatcher.answer(.text("one"))
        let responses = try connection.responses()
        #expect(responses.map(\.code) == [200, 400])
        #expect(responses.first?.body == "one")
        #expect(responses.last?.header("connection") == "close")
        #expect(!connection.isOpen)
        #expect(connection.dispatcher.requests.count == 1)
    }

    @Test func malformedChunkAfterAnAcceptedHeadGets400AndIsNotDispatched() throws {
        let connection = try HTTP1TestConnection()
        connection.send("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXY")
        #expect(try connection.responses().map(\.code) == [400])
        #expect(!connection.isOpen)
        #expect(connection.dispatcher.requests.isEmpty)
    }
}
