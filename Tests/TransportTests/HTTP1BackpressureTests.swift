import HTTPTypes
import NIOCore
import NIOEmbedded
import Testing

@testable import GatehouseTransport

@Suite("HTTP1Backpressure")
struct HTTP1BackpressureTests {
    private static func get(_ path: String) -> String { "GET \(path) HTTP/1.1\r\nHost: h\r\n\r\n" }

    private static func setWritable(_ writable: Bool, _ connection: HTTP1TestConnection) {
        connection.channel.isWritable = writable
        connection.channel.pipeline.fireChannelWritabilityChanged()
    }

    @Test func pipelinedRequestsWaitWhileTheClientDoesNotReadAndGoOnInOrderWhenItDoes() throws {
        let connection = try HTTP1TestConnection()
        let counter = ReadCounter()
        try connection.channel.pipeline.syncOperations.addHandler(counter, position: .first)
        connection.send(Self.get("/1"))
        Self.setWritable(false, connection)
        connection.send(Self.get("/2") + Self.get("/3"))
        // Not parsed, so not answered: nothing more waits for the client than what it already does not read.
        #expect(connection.dispatcher.requests.map { $0.request.head.path } == ["/1"])
        connection.channel.read()
        #expect(counter.reads == 1)  // a little is buffered: reading goes on
        connection.send(String(repeating: Self.get("/more"), count: HTTP1ServerHandler.maxBufferedBytes / 20))
        connection.channel.read()
        #expect(counter.reads == 1)  // the buffer is full: reads are held
        #expect(connection.dispatcher.requests.count == 1)

        Self.setWritable(true, connection)
        let paths = connection.dispatcher.requests.map { $0.request.head.path }
        #expect(paths.prefix(3) == ["/1", "/2", "/3"])
        #expect(paths.count == 3 + HTTP1ServerHandler.maxBufferedBytes / 20)
        #expect(counter.reads == 2)  // the held read goes on
        #expect(try connection.responses().count == paths.count)  // answered and flushed
    }

    @Test func aRequestBeingReceivedIsFinishedEvenWhileTheClientDoesNotRead() throws {
        let connection = try HTTP1TestConnection()
        connection.send("POST /body HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nab")
        Self.setWritable(false, connection)
        connection.send("cd")
        // Its answer goes out (the check is between requests), the next one waits.
        connection.send(Self.get("/next"))
        #expect(connection.dispatcher.requests.map { $0.request.head.path } == ["/body"])
        Self.setWritable(true, connection)
        #expect(connection.dispatcher.requests.map { $0.request.head.path } == ["/body", "/next"])
    }

    @Test func responsesOfOneLongReadBatchAreFlushedEveryFewDozenKiB() throws {
        let body = ByteBuffer(repeating: 0x62, count: 10_000)
        let dispatcher = HTTP1RecordingDispatcher { _ in Response(status: .ok, body: body) }
        let connection = try HTTP1TestConnection(dispatcher: dispatcher)
        var flushes = 0
        connection.channel.pipeline.fireChannelRead(ByteBuffer(string: String(repeating: Self.get("/"), count: 20)))
        while try connection.channel.readOutbound(as: ByteBuffer.self) != nil { flushes += 1 }
        // 20 answers of 10 KB: flushed in the batch every 64 KiB (so the channel's writability sees them), not
        // all at the batch's end.
        #expect(flushes >= 14)
        connection.channel.pipeline.fireChannelReadComplete()
        while try connection.channel.readOutbound(as: ByteBuffer.self) != nil { flushes += 1 }
        #expect(flushes == 20)
    }

    @Test func theWaterMarkIsTheListenersPendingOutputLimit() throws {
        var limits = ConnectionLimits()
        limits.maxPendingOutputBytes = 200_000
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.configureHTTP1Server(limits: limits, dispatcher: HTTP1RecordingDispatcher())
        let mark = try channel.syncOptions?.getOption(.writeBufferWaterMark)
        #expect(mark?.high == 200_000)
        #expect(mark?.low == 100_000)
        _ = try channel.finish()
    }
}
