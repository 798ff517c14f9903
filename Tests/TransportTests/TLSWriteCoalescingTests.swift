import NIOCore
import NIOEmbedded
import TestSupport
import Testing

@testable import GatehouseTransport

@Suite struct TLSWriteCoalescingTests {
    /// The lengths of the TLS records in `buffer` (5-byte headers: type, version, length).
    private func recordLengths(_ buffer: ByteBuffer) -> [Int] {
        var buffer = buffer
        var lengths: [Int] = []
        while let header = buffer.readBytes(length: 5) {
            let length = Int(header[3]) << 8 | Int(header[4])
            lengths.append(length)
            buffer.moveReaderIndex(forwardBy: min(length, buffer.readableBytes))
        }
        return lengths
    }

    /// A connected pair with the handshake done and the tickets delivered.
    private func connectedPair() throws -> TLSChannelPair {
        let pair = try TLSChannelPair(server: TLSFixtures.server(), client: TLSFixtures.client())
        try pair.shuttle()
        try #require(pair.serverRecorder.handshake != nil)
        return pair
    }

    @Test func writesUntilAFlushLeaveAsOneRecord() throws {
        let pair = try self.connectedPair()
        defer { pair.finish() }
        let writes = ["HTTP/1.1 200 OK\r\n\r\n", "hello", ""].map { pair.server.write(ByteBuffer(string: $0)) }
        #expect(try pair.server.readOutbound(as: ByteBuffer.self) == nil)  // nothing before the flush
        pair.server.flush()
        let output = try #require(try pair.server.readOutbound(as: ByteBuffer.self))
        #expect(try pair.server.readOutbound(as: ByteBuffer.self) == nil)
        #expect(self.recordLengths(output).count == 1)
        for write in writes { try write.wait() }
        try pair.client.writeInbound(output)
        #expect(String(buffer: pair.clientRecorder.received) == "HTTP/1.1 200 OK\r\n\r\nhello")
    }

    @Test func aLargeWriteIsNotHeldBack() throws {
        let pair = try self.connectedPair()
        defer { pair.finish() }
        let large = String(repeating: "x", count: TLSHandler.coalescingLimit + 1)
        pair.server.write(ByteBuffer(string: "head"), promise: nil)
        pair.server.write(ByteBuffer(string: large), promise: nil)
        pair.server.write(ByteBuffer(string: "tail"), promise: nil)
        pair.server.flush()
        try pair.shuttle()
        #expect(String(buffer: pair.clientRecorder.received) == "head" + large + "tail")
    }

    @Test func closeSendsGatheredWritesBeforeCloseNotify() throws {
        let pair = try self.connectedPair()
        defer { pair.finish() }
        let written = pair.server.write(ByteBuffer(string: "last words"))
        pair.server.close(promise: nil)
        try pair.shuttle()
        try written.wait()
        #expect(String(buffer: pair.clientRecorder.received) == "last words")
        #expect(!pair.client.isActive)  // the client read close_notify after the data
    }

    @Test func aFailureFailsTheGatheredWrites() throws {
        let pair = try self.connectedPair()
        defer { pair.finish() }
        let written = pair.server.write(ByteBuffer(string: "never sent"))
        // Garbage where a record should be: the server fails the connection before flushing.
        _ = try? pair.server.writeInbound(ByteBuffer(bytes: [0x17, 0x03, 0x03, 0x00, 0x05, 1, 2, 3, 4, 5]))
        #expect(throws: (any Error).self) { try written.wait() }
        #expect(!pair.serverRecorder.tlsErrors.isEmpty)
    }
}
