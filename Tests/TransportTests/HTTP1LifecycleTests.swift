import HTTPTypes
import NIOCore
import NIOEmbedded
import Testing

@testable import GatehouseTransport

@Suite("HTTP1Lifecycle")
struct HTTP1LifecycleTests {
    private static func limits() -> ConnectionLimits {
        var limits = ConnectionLimits()
        limits.idleTimeout = .seconds(60)
        limits.requestHeadTimeout = .seconds(30)
        limits.requestBodyTimeout = .seconds(20)
        return limits
    }

    @Test func idleConnectionClosesAfterTheIdleTimeout() throws {
        let connection = try HTTP1TestConnection(limits: Self.limits())
        connection.channel.embeddedEventLoop.advanceTime(by: .seconds(59))
        #expect(connection.isOpen)
        connection.channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(!connection.isOpen)
        #expect(try connection.outboundText() == "")
    }

    @Test func idleTimerRestartsAfterEachResponse() throws {
        let connection = try HTTP1TestConnection(limits: Self.limits())
        connection.channel.embeddedEventLoop.advanceTime(by: .seconds(50))
        connection.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
        connection.channel.embeddedEventLoop.advanceTime(by: .seconds(50))
        #expect(connection.isOpen)
        connection.channel.embeddedEventLoop.advanceTime(by: .seconds(10))
        #expect(!connection.isOpen)
    }

    @Test func aRequestAfterALongIdleIsReadLikeTheFirst() throws {
        // The timer checks in after the shortest timeout (20 s here) and the idle connection lets go of the request
        // it builds the next one from; the next requests must come out whole all the same.
        let connection = try HTTP1TestConnection(limits: Self.limits())
        connection.send("GET /a?x=1 HTTP/1.1\r\nHost: h\r\nX-One: 1\r\n\r\n")
        connection.channel.embeddedEventLoop.advanceTime(by: .seconds(25))
        connection.send("GET /a?x=1 HTTP/1.1\r\nHost: h\r\n\r\n")
        connection.send("DELETE /b HTTP/1.1\r\nHost: h\r\nX-Two: 2\r\n\r\n")
        #expect(connection.isOpen)
        let heads = connection.dispatcher.requests.map(\.request.head)
        #expect(heads.map(\.method) == [.get, .get, .delete])
        #expect(heads.map(\.path) == ["/a?x=1", "/a?x=1", "/b"])
        #expect(heads.map(\.authority) == ["h", "h", "h"])
        #expect(heads.map { $0.headerFields[HTTPField.Name("X-One")!] } == ["1", nil, nil])
        #expect(heads.map { $0.headerFields[HTTPField.Name("X-Two")!] } == [nil, nil, "2"])
        #expect(try connection.responses().map(\.code) == [200, 200, 200])
    }

    @Test func requestInFlightIsNotCutByTheIdleTimeout() throws {
        let connection = try HTTP1TestConnection(
            limits: Self.limits(),
            dispatcher: HTTP1RecordingDispatcher(respond: nil)
        )
        connection.send("GET /slow HTTP/1.1\r\nHost: h\r\n\r\n")
        connection.channel.embeddedEventLoop.advanceTime(by: .seconds(120))
        #expect(connection.isOpen)
        connection.dispatcher.answer()
        #expect(try connection.responses().map(\.code) == [200])
        #expect(connection.dispatcher.cancelled.isEmpty)
    }

    @Test func partialHeadGets408AfterTheRequestTimeout() throws {
        let connection = try HTTP1TestConnection(limits: Self.limits())
        connection.channel.embeddedEventLoop.advanceTime(by: .seconds(10))
        connection.send("GET / HTTP/1.1\r\nHost:")
        connection.channel.embeddedEventLoop.advanceTime(by: .seconds(29))
        #expect(connection.isOpen)
        connection.channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        let responses = try connection.responses()
        #expect(responses.map(\.code) == [408])
        #expect(responses.first?.reason == "Request timeout")
        #expect(responses.first?.header("connection") == "close")
        #expect(responses.first?.body.contains("\"status\":408") == true)
        #expect(!connection.isOpen)
    }

    @Test func aBodyThatStopsGets408AfterTheBodyTimeout() throws {
        let connection = try HTTP1TestConnection(limits: Self.limits())
        connection.send("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n01234")
        connection.channel.embeddedEventLoop.advanceTime(by: .seconds(19))
        #expect(connection.isOpen)
        connection.channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        let responses = try connection.responses()
        #expect(responses.map(\.code) == [408])
        #expect(responses.first?.header("connection") == "close")
        #expect(!connection.isOpen)
        #expect(connection.dispatcher.requests.isEmpty)
    }

    @Test func aSlowBodyThatKeepsComingIsNotCutByTheHeadTimeout() throws {
        let connection = try HTTP1TestConnection(limits: Self.limits())
        connection.send("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n")
        for _ in 0..<5 {
            connection.channel.embeddedEventLoop.advanceTime(by: .seconds(15))
            connection.send("1\r\nx\r\n")
        }
        #expect(connection.isOpen)  // 75 s in all, never 20 s without a byte
        connection.send("0\r\n\r\n")
        #expect(try connection.responses().map(\.body) == ["xxxxx"])
        connection.channel.embeddedEventLoop.advanceTime(by: .seconds(59))
        #expect(connection.isOpen)  // idle now, with the idle timeout
    }

    @Test func aBodyAnnouncedWithContinueGetsItsTimeoutAfterTheContinue() throws {
        let connection = try HTTP1TestConnection(limits: Self.limits())
        connection.channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        connection.send("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n")
        connection.channel.embeddedEventLoop.advanceTime(by: .seconds(20))
        #expect(try connection.outboundText().hasPrefix("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 408 Request timeout"))
        #expect(!connection.isOpen)
    }

    @Test func quiesceWhileIdleClosesAtOnce() throws {
        let connection = try HTTP1TestConnection()
        connection.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
        connection.channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(!connection.isOpen)
    }

    @Test func quiesceWithARequestInFlightFinishesItWithConnectionClose() throws {
        let connection = try HTTP1TestConnection(dispatcher: HTTP1RecordingDispatcher(respond: nil))
        connection.send("GET /slow HTTP/1.1\r\nHost: h\r\n\r\n")
        connection.channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        connection.channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())  // repeated: harmless
        #expect(connection.isOpen)
        connection.dispatcher.answer(.text("last"))
        let responses = try connection.responses()
        #expect(responses.map(\.body) == ["last"])
        #expect(responses.first?.header("connection") == "close")
        #expect(!connection.isOpen)
        #expect(connection.dispatcher.cancelled.isEmpty)
    }

    @Test func quiesceWhileTheBodyArrivesFinishesTheRequest() throws {
        let connection = try HTTP1TestConnection()
        connection.send("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nab")
        connection.channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(connection.isOpen)
        connection.send("cd")
        let responses = try connection.responses()
        #expect(responses.map(\.body) == ["abcd"])
        #expect(responses.first?.header("connection") == "close")
        #expect(!connection.isOpen)
    }

    @Test func noTimerOutlivesTheConnection() throws {
        let connection = try HTTP1TestConnection(limits: Self.limits())
        connection.send("GET / HTTP/1.1\r\nHost:")
        _ = try connection.channel.close().wait()
        connection.channel.embeddedEventLoop.advanceTime(by: .seconds(600))
        #expect(try connection.outboundText() == "")
    }
}
