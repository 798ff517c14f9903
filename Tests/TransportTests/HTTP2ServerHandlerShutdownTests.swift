import CNghttp2
import NIOCore
import NIOEmbedded
import Testing

@testable import GatehouseTransport

@Suite("HTTP2ServerHandler shutdown")
struct HTTP2ServerHandlerShutdownTests {
    @Test func quiesceSendsTwoGoawaysAnswersInFlightStreamThenCloses() throws {
        let connection = try HTTP2TestConnection(mode: .hold)
        let stream = connection.client.request(path: "/in-flight")
        try connection.exchange()
        connection.channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        try connection.exchange()
        #expect(connection.serverGoaways.map(\.lastStreamID) == [Int32.max])

        connection.channel.embeddedEventLoop.advanceTime(by: HTTP2ServerHandler.goawayDelay)
        try connection.exchange()
        #expect(connection.serverGoaways.map(\.lastStreamID) == [Int32.max, stream])
        #expect(connection.serverGoaways.last?.errorCode == NGHTTP2_NO_ERROR.rawValue)
        #expect(connection.isOpen)

        connection.dispatcher.answer(StreamID(stream), with: .text("done"))
        try connection.exchange()
        #expect(connection.client.responses[stream]?.bodyText == "done")
        #expect(connection.client.responses[stream]?.isComplete == true)
        #expect(!connection.isOpen)
        #expect(connection.dispatcher.cancelled.isEmpty)
    }

    @Test func quiesceWithoutStreamsClosesAfterFinalGoaway() throws {
        let connection = try HTTP2TestConnection()
        try connection.exchange()
        connection.channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        try connection.exchange()
        #expect(connection.isOpen)
        connection.channel.embeddedEventLoop.advanceTime(by: HTTP2ServerHandler.goawayDelay)
        try connection.exchange()
        // The client session stops reporting frames after the first GOAWAY on an idle connection: read the wire.
        #expect(connection.serverGoaways.map(\.lastStreamID) == [Int32.max, 0])
        #expect(!connection.isOpen)
    }

    @Test func rapidResetGetsGoawayAndClose() throws {
        var limits = ConnectionLimits()
        limits.streamResetBurst = 10
        limits.streamResetRate = 1
        let connection = try HTTP2TestConnection(limits: limits, mode: .hold)
        try connection.exchange()
        var attack = ByteBuffer()
        for index in 0..<50 {
            let stream = connection.client.request(path: "/reset/\(index)")
            var headers = connection.client.outbound()
            attack.writeBuffer(&headers)
            connection.client.reset(stream)
            var reset = connection.client.outbound()
            attack.writeBuffer(&reset)
        }
        try connection.sendRaw(attack)
        try connection.exchange()
        #expect(!connection.serverGoaways.isEmpty)
        #expect(connection.serverGoaways.last?.errorCode != NGHTTP2_NO_ERROR.rawValue)
        #expect(!connection.isOpen)
    }

    @Test func garbageInsteadOfPrefaceCloses() throws {
        let connection = try HTTP2TestConnection()
        try connection.sendRaw(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"))
        #expect(!connection.isOpen)
        #expect(connection.dispatcher.requests.isEmpty)
    }

    @Test func idleConnectionIsClosedWithGoaway() throws {
        var limits = ConnectionLimits()
        limits.idleTimeout = .seconds(5)
        let connection = try HTTP2TestConnection(limits: limits)
        let stream = connection.client.request(path: "/")
        try connection.exchange()
        #expect(connection.client.responses[stream]?.isComplete == true)
        connection.channel.embeddedEventLoop.advanceTime(by: .seconds(4))
        #expect(connection.isOpen)
        connection.channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        try connection.exchange()
        #expect(!connection.isOpen)
        #expect(connection.serverGoaways.last?.lastStreamID == stream)
        #expect(connection.serverGoaways.last?.errorCode == NGHTTP2_NO_ERROR.rawValue)
    }

    @Test func idleTimeoutCountsFromTheLastStream() throws {
        var limits = ConnectionLimits()
        limits.idleTimeout = .seconds(5)
        let connection = try HTTP2TestConnection(limits: limits)
        _ = connection.client.request(path: "/first")
        try connection.exchange()
        connection.channel.embeddedEventLoop.advanceTime(by: .seconds(3))
        let second = connection.client.request(path: "/second")
        try connection.exchange()
        #expect(connection.client.responses[second]?.isComplete == true)
        // The timer armed after the first stream fires at 5 s and finds the connection idle for 2 s only.
        connection.channel.embeddedEventLoop.advanceTime(by: .seconds(4))
        try connection.exchange()
        #expect(connection.isOpen)
        connection.channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        try connection.exchange()
        #expect(!connection.isOpen)
        #expect(connection.serverGoaways.last?.lastStreamID == second)
    }

    @Test func openStreamKeepsTheConnectionFromIdling() throws {
        var limits = ConnectionLimits()
        limits.idleTimeout = .seconds(5)
        let connection = try HTTP2TestConnection(limits: limits, mode: .hold)
        let stream = connection.client.request(path: "/slow")
        try connection.exchange()
        connection.channel.embeddedEventLoop.advanceTime(by: .seconds(30))
        #expect(connection.isOpen)
        connection.dispatcher.answer(StreamID(stream), with: .text("ok"))
        try connection.exchange()
        #expect(connection.client.responses[stream]?.isComplete == true)
    }
}
