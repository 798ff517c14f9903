import NIOCore
import NIOEmbedded
import Testing

@testable import GatehouseTransport

/// The TLS handler's side of ``TLSPlaintextReader``: plaintext goes straight to the reader, and at the end of a read
/// batch the TLS handler does what the reader's ``TLSReadCompletion`` asks, with its own context.
@Suite struct TLSDirectReaderTests {
    /// A direct reader that records the plaintext and, when the batch ends, writes `reply` without flushing it and
    /// answers `completion`.
    private final class Reader: TLSPlaintextReader {
        let tls: TLSHandler
        let tlsContext: ChannelHandlerContext
        var completion: TLSReadCompletion
        var reply: String?
        var received = ""
        var batchesEnded = 0

        init(tls: TLSHandler, tlsContext: ChannelHandlerContext, completion: TLSReadCompletion) {
            self.tls = tls
            self.tlsContext = tlsContext
            self.completion = completion
        }

        func plaintextRead(_ plaintext: ByteBuffer) {
            self.received += String(buffer: plaintext)
        }

        func plaintextReadComplete() -> TLSReadCompletion {
            self.batchesEnded += 1
            if let reply = self.reply { self.tls.writeDirectly(ByteBuffer(string: reply), context: self.tlsContext) }
            return self.completion
        }
    }

    /// Counts the `read` requests that reach the bottom of the pipeline.
    private final class ReadCounter: ChannelOutboundHandler {
        typealias OutboundIn = ByteBuffer
        var reads = 0

        func read(context: ChannelHandlerContext) {
            self.reads += 1
            context.read()
        }
    }

    /// A connected pair whose server TLS handler hands its plaintext to a ``Reader`` answering `completion`.
    private func pairWithReader(
        _ completion: TLSReadCompletion
    ) throws -> (pair: TLSChannelPair, reader: Reader, counter: ReadCounter) {
        let pair = try TLSChannelPair(server: TLSFixtures.server(), client: TLSFixtures.client())
        try pair.shuttle()
        try #require(pair.serverRecorder.handshake != nil)
        let counter = ReadCounter()
        try pair.server.pipeline.syncOperations.addHandler(counter, position: .first)
        let tlsContext = try pair.server.pipeline.syncOperations.context(handlerType: TLSHandler.self)
        let tls = try #require(tlsContext.handler as? TLSHandler)
        let reader = Reader(tls: tls, tlsContext: tlsContext, completion: completion)
        tls.directReader = reader
        return (pair, reader, counter)
    }

    @Test(arguments: [false, true])
    func theNextReadIsAskedForOnlyWhenTheReaderWantsIt(reads: Bool) throws {
        let (pair, reader, counter) = try self.pairWithReader(TLSReadCompletion(flushes: false, reads: reads))
        defer { pair.finish() }
        let readsBefore = counter.reads
        try pair.send("ping", from: pair.client)
        #expect(reader.received == "ping")
        #expect(pair.serverRecorder.received.readableBytes == 0)  // nothing went up the pipeline
        #expect(reader.batchesEnded >= 1)
        #expect(counter.reads - readsBefore == (reads ? reader.batchesEnded : 0))
    }

    @Test(arguments: [false, true])
    func whatTheReaderWroteAtTheBatchEndIsFlushedOnlyWhenItSaysSo(flushes: Bool) throws {
        let (pair, reader, _) = try self.pairWithReader(TLSReadCompletion(flushes: flushes, reads: true))
        defer { pair.finish() }
        reader.reply = "pong"
        try pair.send("ping", from: pair.client)
        #expect(String(buffer: pair.clientRecorder.received) == (flushes ? "pong" : ""))
        reader.reply = nil
        pair.server.flush()  // what was gathered leaves with the next flush either way
        try pair.shuttle()
        #expect(String(buffer: pair.clientRecorder.received) == "pong")
    }
}
