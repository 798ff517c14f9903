import NIOCore
import NIOEmbedded
import TestSupport
import Testing

@testable import GatehouseTransport

/// The HTTP/2 deadlines and the body budget, driven by hand-written frames on an `EmbeddedChannel` whose clock
/// the tests move.
@Suite("HTTP2ServerHandler deadlines and body budget")
struct HTTP2ServerHandlerDeadlineTests {
    typealias Frames = HTTP2RawFrames

    /// A handler under test and the frames it wrote.
    final class RawConnection {
        let channel = EmbeddedChannel()
        let dispatcher: RecordingDispatcher
        private var pending: [UInt8] = []

        init(limits: ConnectionLimits, mode: RecordingDispatcher.Mode = .echo) throws {
            self.dispatcher = RecordingDispatcher(mode: mode)
            try self.channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 443)).wait()
            try self.channel.pipeline.syncOperations.addHandler(
                HTTP2ServerHandler(limits: limits, dispatcher: self.dispatcher)
            )
            try self.send(Frames.preface + Frames.settings())
        }

        deinit { _ = try? self.channel.finish(acceptAlreadyClosed: true) }

        func send(_ bytes: [UInt8]) throws {
            try self.channel.writeInbound(ByteBuffer(bytes: bytes))
            self.channel.pipeline.fireChannelReadComplete()
        }

        /// The frames the server wrote since the last call.
        func frames() throws -> [Frames.Frame] {
            while let buffer = try self.channel.readOutbound(as: ByteBuffer.self) {
                self.pending += buffer.readableBytesView
            }
            return Frames.parse(&self.pending)
        }

        func advance(_ amount: TimeAmount) { self.channel.embeddedEventLoop.advanceTime(by: amount) }
    }

    private static func limits() -> ConnectionLimits {
        var limits = ConnectionLimits()
        limits.requestHeadTimeout = .seconds(10)
        limits.requestBodyTimeout = .seconds(20)
        limits.idleTimeout = .seconds(60)
        return limits
    }

    @Test func incompleteHeaderBlockGetsGoawayAfterRequestHeadTimeout() throws {
        let connection = try RawConnection(limits: Self.limits())
        try connection.send(Frames.headers(stream: 1, Frames.requestFields(), fragmentLength: 20))
        connection.advance(.seconds(9))
        #expect(connection.channel.isActive)
        connection.advance(.seconds(1))
        let goaway = try connection.frames().first { $0.type == Frames.FrameType.goaway.rawValue }
        #expect(goaway?.integer(at: 4) == 0)  // NO_ERROR
        #expect(String(decoding: goaway?.payload.dropFirst(8) ?? [], as: UTF8.self) == "request head timeout")
        #expect(!connection.channel.isActive)
    }

    @Test func trailersWaitingForContinuationGetGoawayAfterRequestHeadTimeout() throws {
        let connection = try RawConnection(limits: Self.limits())
        try connection.send(
            Frames.headers(stream: 1, Frames.requestFields(method: "POST")) + Frames.data(stream: 1, count: 10)
        )
        connection.advance(.seconds(5))
        try connection.send(Frames.headers(stream: 1, [("x-trailer", "value")], endStream: true, fragmentLength: 5))
        connection.advance(.seconds(9))
        #expect(connection.channel.isActive)
        connection.advance(.seconds(1))
        let goaway = try connection.frames().first { $0.type == Frames.FrameType.goaway.rawValue }
        #expect(String(decoding: goaway?.payload.dropFirst(8) ?? [], as: UTF8.self) == "request head timeout")
        #expect(!connection.channel.isActive)
    }

    @Test func headerBlockEndedByContinuationIsNotTimedOut() throws {
        let connection = try RawConnection(limits: Self.limits())
        let block = Frames.headerBlock(Frames.requestFields())
        try connection.send(Frames.frame(.headers, flags: Frames.endStream, stream: 1, payload: Array(block.prefix(8))))
        connection.advance(.seconds(5))
        try connection.send(
            Frames.frame(.continuation, flags: Frames.endHeaders, stream: 1, payload: Array(block.dropFirst(8)))
        )
        #expect(connection.dispatcher.requests.map(\.stream) == [StreamID(1)])
        connection.advance(.seconds(30))
        #expect(try connection.frames().allSatisfy { $0.type != Frames.FrameType.goaway.rawValue })
        #expect(connection.channel.isActive)
    }

    @Test func stalledBodyGets408OnItsStreamWhileAnotherStreamIsAnswered() throws {
        let connection = try RawConnection(limits: Self.limits())
        try connection.send(
            Frames.headers(stream: 1, Frames.requestFields(method: "POST")) + Frames.data(stream: 1, count: 10)
        )
        connection.advance(.seconds(15))
        try connection.send(Frames.headers(stream: 3, Frames.requestFields(path: "/other"), endStream: true))
        #expect(connection.dispatcher.requests.map(\.stream) == [StreamID(3)])
        _ = try connection.frames()
        connection.advance(.seconds(5))
        let frames = try connection.frames()
        let body = frames.filter { $0.type == Frames.FrameType.data.rawValue && $0.stream == 1 }.flatMap(\.payload)
        #expect(String(decoding: body, as: UTF8.self).contains("Request body timeout"))
        let reset = frames.first { $0.type == Frames.FrameType.rstStream.rawValue }
        #expect(reset?.stream == 1 && reset?.integer(at: 0) == 0)
        #expect(connection.channel.isActive)
        // Still usable: a new stream is answered.
        try connection.send(Frames.headers(stream: 5, Frames.requestFields(path: "/after"), endStream: true))
        #expect(connection.dispatcher.requests.map(\.stream) == [StreamID(3), StreamID(5)])
    }

    @Test func bodyBytesKeepTheStreamAlive() throws {
        let connection = try RawConnection(limits: Self.limits())
        try connection.send(Frames.headers(stream: 1, Frames.requestFields(method: "POST")))
        for _ in 0..<5 {
            connection.advance(.seconds(15))
            try connection.send(Frames.data(stream: 1, count: 10))
        }
        #expect(try connection.frames().allSatisfy { $0.stream != 1 })
        try connection.send(Frames.data(stream: 1, count: 10, endStream: true))
        #expect(connection.dispatcher.requests.first?.request.body.readableBytes == 60)
    }

    @Test func streamsWithoutProgressAreClosedAfterIdleTimeout() throws {
        var limits = Self.limits()
        limits.requestBodyTimeout = .seconds(300)
        let connection = try RawConnection(limits: limits)
        try connection.send(
            Frames.headers(stream: 1, Frames.requestFields(method: "POST")) + Frames.data(stream: 1, count: 1)
        )
        connection.advance(.seconds(59))
        #expect(connection.channel.isActive)
        connection.advance(.seconds(1))
        let goaway = try connection.frames().first { $0.type == Frames.FrameType.goaway.rawValue }
        #expect(String(decoding: goaway?.payload.dropFirst(8) ?? [], as: UTF8.self) == "idle timeout")
        #expect(!connection.channel.isActive)
    }

    /// 20 streams each send 500 KiB and stop: with a 2 MiB budget, the connection window is not reopened for
    /// them, and the newest are refused once the peer is out of window, so no more than the budget is held.
    @Test func bufferedBodiesStayWithinTheConnectionBudget() throws {
        var limits = Self.limits()
        limits.maxBufferedBodyBytesPerConnection = 2 << 20
        let connection = try RawConnection(limits: limits)
        var window = 65_535
        for frame in try connection.frames()
        where frame.type == Frames.FrameType.windowUpdate.rawValue && frame.stream == 0 {
            window += Int(frame.integer(at: 0))
        }
        #expect(window == HTTP2ServerSession.connectionWindow(limits))
        let handler = try connection.channel.pipeline.syncOperations.handler(type: HTTP2ServerHandler.self)
        var refused: Set<UInt32> = []
        var sent = 0
        var mostHeld = 0
        for stream in stride(from: UInt32(1), through: 39, by: 2) {
            try connection.send(Frames.headers(stream: stream, Frames.requestFields(method: "POST")))
            var remaining = 500 * 1024
            while remaining > 0, window > 0, !refused.contains(stream) {
                let count = min(16_384, remaining, window)
                try connection.send(Frames.data(stream: stream, count: count))
                remaining -= count
                window -= count
                sent += count
                mostHeld = max(mostHeld, handler.streams.heldBodyBytes)
                for frame in try connection.frames() {
                    if frame.type == Frames.FrameType.windowUpdate.rawValue && frame.stream == 0 {
                        window += Int(frame.integer(at: 0))
                    }
                    if frame.type == Frames.FrameType.rstStream.rawValue {
                        #expect(frame.integer(at: 0) == 0x7)  // REFUSED_STREAM
                        refused.insert(frame.stream)
                    }
                }
            }
        }
        #expect(sent > 2 << 20)
        #expect(mostHeld <= HTTP2ServerSession.connectionWindow(limits), "held \(mostHeld)")
        #expect(!refused.isEmpty)
        #expect(connection.channel.isActive)
        #expect(connection.dispatcher.requests.isEmpty)
    }

    /// RFC 9113 §5.1.1: opening a stream below one already opened is a connection error (nghttp2 1.52 lets a
    /// HEADERS frame for a skipped stream pass silently; trailers on an existing stream stay fine).
    @Test func headersOnASkippedLowerStreamIsAProtocolError() throws {
        let connection = try RawConnection(limits: Self.limits())
        try connection.send(Frames.headers(stream: 5, Frames.requestFields(), endStream: true))
        #expect(connection.dispatcher.requests.map(\.stream) == [StreamID(5)])
        try connection.send(Frames.headers(stream: 3, Frames.requestFields(), endStream: true))
        let goaway = try connection.frames().first { $0.type == Frames.FrameType.goaway.rawValue }
        #expect(goaway?.integer(at: 4) == 0x1)  // PROTOCOL_ERROR
        #expect(!connection.channel.isActive)
        #expect(connection.dispatcher.requests.count == 1)
    }
}
