import CNghttp2
import NIOCore
import Testing

@testable import GatehouseTransport

/// Frames on closed streams (RFC 9113 §5.1), which the handler checks itself because nghttp2 keeps no closed streams.
@Suite("HTTP2ServerHandler: frames on closed streams")
struct HTTP2ServerHandlerClosedStreamTests {
    static func data(_ stream: Int32) -> [UInt8] { [0, 0, 1, 0x0, 0x0] + Self.identifier(stream) + [0x61] }
    static func trailers(_ stream: Int32) -> [UInt8] { [0, 0, 1, 0x1, 0x5] + Self.identifier(stream) + [0x82] }
    static func reset(_ stream: Int32) -> [UInt8] { [0, 0, 4, 0x3, 0x0] + Self.identifier(stream) + [0, 0, 0, 8] }
    static func identifier(_ stream: Int32) -> [UInt8] { withUnsafeBytes(of: stream.bigEndian) { Array($0) } }

    /// A connection whose request on the returned stream was answered and closed.
    static func answered(limits: ConnectionLimits = ConnectionLimits()) throws -> (HTTP2TestConnection, Int32) {
        let connection = try HTTP2TestConnection(limits: limits)
        let stream = connection.client.request(path: "/a")
        try connection.exchange()
        #expect(connection.client.responses[stream]?.isComplete == true)
        return (connection, stream)
    }

    @Test func dataOnAStreamTheClientEndedEndsTheConnectionWithStreamClosed() throws {
        let (connection, stream) = try Self.answered()
        try connection.sendRaw(ByteBuffer(bytes: Self.data(stream)))
        try connection.exchange()
        #expect(connection.serverGoaways.map(\.errorCode) == [NGHTTP2_STREAM_CLOSED.rawValue])
        #expect(!connection.isOpen)
    }

    @Test func headersOnAStreamTheClientEndedEndConnectionWithStreamClosed() throws {
        let (connection, stream) = try Self.answered()
        try connection.sendRaw(ByteBuffer(bytes: Self.trailers(stream)))
        try connection.exchange()
        #expect(connection.serverGoaways.map(\.errorCode) == [NGHTTP2_STREAM_CLOSED.rawValue])
        #expect(!connection.isOpen)
    }

    @Test func aFrameHeaderSplitAcrossReadsIsStillChecked() throws {
        let (connection, stream) = try Self.answered()
        let frame = Self.data(stream)
        try connection.sendRaw(ByteBuffer(bytes: frame[..<4]))
        #expect(connection.isOpen)
        try connection.sendRaw(ByteBuffer(bytes: frame[4...]))
        try connection.exchange()
        #expect(connection.serverGoaways.map(\.errorCode) == [NGHTTP2_STREAM_CLOSED.rawValue])
    }

    /// The reset reaches nghttp2 before the DATA behind it in the same read is checked.
    @Test func dataAfterTheClientsResetInTheSameReadEndsTheConnectionWithStreamClosed() throws {
        let connection = try HTTP2TestConnection(mode: .hold)
        let stream = connection.client.request(path: "/held")
        try connection.exchange()
        #expect(connection.dispatcher.requests.count == 1)
        try connection.sendRaw(ByteBuffer(bytes: Self.reset(stream) + Self.data(stream)))
        try connection.exchange()
        #expect(connection.dispatcher.cancelled == [StreamID(stream)])
        #expect(connection.serverGoaways.map(\.errorCode) == [NGHTTP2_STREAM_CLOSED.rawValue])
    }

    /// The handler remembers as many closed streams as nghttp2 kept (SETTINGS_MAX_CONCURRENT_STREAMS); a frame on an
    /// older one is ignored, as nghttp2 ignores one on a stream it no longer knows.
    @Test func framesOnStreamsClosedLongAgoAreIgnored() throws {
        var limits = ConnectionLimits()
        limits.maxConcurrentStreams = 4
        let (connection, first) = try Self.answered(limits: limits)
        var last = first
        for _ in 0..<4 {
            last = connection.client.request(path: "/b")
            try connection.exchange()
            #expect(connection.client.responses[last]?.isComplete == true)
        }
        try connection.sendRaw(ByteBuffer(bytes: Self.data(first) + Self.trailers(first)))
        try connection.exchange()
        #expect(connection.serverGoaways.isEmpty)
        #expect(connection.isOpen)
        try connection.sendRaw(ByteBuffer(bytes: Self.data(last)))
        try connection.exchange()
        #expect(connection.serverGoaways.map(\.errorCode) == [NGHTTP2_STREAM_CLOSED.rawValue])
    }
}
