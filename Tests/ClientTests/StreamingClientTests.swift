import GatehouseTransport
import HTTPTypes
import NIOCore
import NIOPosix
import Synchronization
import TestSupport
import Testing

@testable import GatehouseClient

/// Chunks of `size` bytes, `count` of them, produced only as they are asked for, each after `interval` when one is
/// given (an upload slower than a client's response timeout).
private struct Chunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    typealias Failure = any Error
    let count: Int
    let size: Int
    var interval: Duration? = nil

    struct AsyncIterator: AsyncIteratorProtocol {
        var left: Int
        let size: Int
        let interval: Duration?
        mutating func next() async throws -> ByteBuffer? {
            guard self.left > 0 else { return nil }
            self.left -= 1
            if let interval = self.interval { try await Task.sleep(for: interval) }
            return ByteBuffer(repeating: UInt8(ascii: "a") + UInt8(self.left % 26), count: self.size)
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(left: self.count, size: self.size, interval: self.interval)
    }
}

@Suite("HTTPClient streams request and response bodies")
struct StreamingClientTests {
    /// The response timeout bounds the wait for the server, not the upload: a body whose pieces come 3.5 s apart,
    /// with a 3 s timeout, arrives whole, because the timeout runs only while a piece waits for the server to take it
    /// (and after the last one), never during the caller's pauses.
    @Test(arguments: [ClientConfiguration.HTTPVersionPreference.http1_1, .http2])
    func anUploadLongerThanTheResponseTimeoutIsNotCutOff(version: ClientConfiguration.HTTPVersionPreference)
        async throws
    {
        try await withClientTestServer { server in
            var configuration = ClientConfiguration(trustedCAFiles: [server.pki.rootCAFile], httpVersion: version)
            configuration.responseTimeout = .seconds(3)
            let client = try HTTPClient(configuration: configuration)
            defer { Task { await client.shutdown() } }
            let request = echoRequest(port: server.port)
            let body = Chunks(count: 3, size: 1024, interval: .milliseconds(3500))
            let (status, received) = try await client.execute(request, body: body) { response in
                var received = 0
                for try await chunk in response.body { received += chunk.readableBytes }
                return (response.status, received)
            }
            #expect(status == .ok)
            #expect(received == 3 * 1024)
            await client.shutdown()
        }
    }

    @Test(arguments: [ClientConfiguration.HTTPVersionPreference.http1_1, .http2])
    func streamedUploadComesBackStreamed(version: ClientConfiguration.HTTPVersionPreference) async throws {
        try await withClientTestServer { server in
            let client = try HTTPClient(
                configuration: ClientConfiguration(trustedCAFiles: [server.pki.rootCAFile], httpVersion: version)
            )
            defer { Task { await client.shutdown() } }
            let request = echoRequest(port: server.port)
            let chunks = Chunks(count: 64, size: 64 * 1024)
            let (status, received, parts) = try await client.execute(request, body: chunks) { response in
                var received = 0
                var parts = 0
                for try await chunk in response.body {
                    received += chunk.readableBytes
                    parts += 1
                }
                return (response.status, received, parts)
            }
            #expect(status == .ok)
            #expect(received == 64 * 64 * 1024)
            #expect(parts > 1)
            // The connection is reused (HTTP/1.1: it went back to the pool once the response was complete).
            let again = try await client.execute(.get, server.url("/connection"))
            #expect(again.status == .ok)
            await client.shutdown()
        }
    }

    @Test func aReaderThatStopsStopsTheSocketReads() async throws {
        let firehose = try await Firehose.start()
        let client = try HTTPClient(configuration: ClientConfiguration(httpVersion: .http1_1))
        let request = HTTPRequest(method: .get, scheme: "http", authority: "127.0.0.1:\(firehose.port)", path: "/")
        let writtenWhilePaused = try await client.execute(request) { response in
            var iterator = response.body.makeAsyncIterator()
            _ = try await iterator.next()
            try await Task.sleep(for: .seconds(1))
            let before = firehose.written
            try await Task.sleep(for: .milliseconds(500))
            #expect(firehose.written - before < 1 << 20, "the server kept writing while nobody read")
            return firehose.written
        }
        // Socket buffers and a few chunks, not the gigabyte the server would send to a reader that buffered it all.
        #expect(writtenWhilePaused < 24 << 20, "\(writtenWhilePaused) bytes left the server")
        // Leaving the body unread abandoned the request: the connection closed.
        #expect(try await waitUntil { firehose.closed == 1 })
        await client.shutdown()
        await firehose.stop()
    }

    @Test func aCancelledReaderGetsAnErrorNotAShortBody() async throws {
        let firehose = try await Firehose.start()
        let client = try HTTPClient(configuration: ClientConfiguration(httpVersion: .http1_1))
        let request = HTTPRequest(method: .get, scheme: "http", authority: "127.0.0.1:\(firehose.port)", path: "/")
        let reading = Task {
            try await client.execute(request) { response in
                try await response.body.collect(upTo: 2 << 30).readableBytes
            }
        }
        #expect(try await waitUntil { firehose.written > 1 << 20 })
        reading.cancel()
        await #expect(throws: (any Error).self) { _ = try await reading.value }
        #expect(try await waitUntil { firehose.closed == 1 })
        await client.shutdown()
        await firehose.stop()
    }

    @Test func plaintextHTTP1IsSpoken() async throws {
        let firehose = try await Firehose.start(size: 5)
        let client = try HTTPClient(configuration: ClientConfiguration(httpVersion: .http1_1))
        let response = try await client.execute(.get, "http://127.0.0.1:\(firehose.port)/")
        #expect(response.status == .ok && response.bodyText == "xxxxx")
        #expect(response.tls.protocolVersion.isEmpty)
        await client.shutdown()
        await firehose.stop()
    }
}

/// `POST /echo` to the client test server on `port`.
private func echoRequest(port: Int) -> HTTPRequest {
    HTTPRequest(method: .post, scheme: "https", authority: "127.0.0.1:\(port)", path: "/echo")
}

/// Waits until `condition` holds, at most 30 s (the whole suite starting at once can delay a test by seconds).
func waitUntil(_ condition: () -> Bool) async throws -> Bool {
    for _ in 0..<1_500 where !condition() { try await Task.sleep(for: .milliseconds(20)) }
    return condition()
}

/// A plaintext HTTP/1.1 server that answers any request with `size` bytes of `x`, written as fast as the
/// connection takes them, and counts what it wrote.
private final class Firehose: Sendable {
    final class Counts: Sendable {
        let written = Atomic<Int>(0)
        let closed = Atomic<Int>(0)
    }

    private let server: LoopbackTCPServer
    private let counts: Counts

    var port: Int { self.server.port }
    var written: Int { self.counts.written.load(ordering: .relaxed) }
    var closed: Int { self.counts.closed.load(ordering: .relaxed) }

    private init(server: LoopbackTCPServer, counts: Counts) {
        self.server = server
        self.counts = counts
    }

    static func start(size: Int = 1 << 30) async throws -> Firehose {
        let counts = Counts()
        let server = try await LoopbackTCPServer.start { FirehoseHandler(size: size, counts: counts) }
        return Firehose(server: server, counts: counts)
    }

    func stop() async {
        await self.server.stop()
    }
}

private final class FirehoseHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let size: Int
    let counts: Firehose.Counts
    var left = -1

    init(size: Int, counts: Firehose.Counts) {
        self.size = size
        self.counts = counts
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard self.left < 0 else { return }
        self.left = self.size
        let head = "HTTP/1.1 200 OK\r\nContent-Length: \(self.size)\r\n\r\n"
        context.write(self.wrapOutboundOut(ByteBuffer(string: head)), promise: nil)
        self.pump(context: context)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { self.pump(context: context) }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.counts.closed.wrappingAdd(1, ordering: .relaxed)
        context.fireChannelInactive()
    }

    private func pump(context: ChannelHandlerContext) {
        while self.left > 0 && context.channel.isWritable {
            let count = min(self.left, 64 * 1024)
            self.left -= count
            self.counts.written.wrappingAdd(count, ordering: .relaxed)
            context.write(self.wrapOutboundOut(ByteBuffer(repeating: UInt8(ascii: "x"), count: count)), promise: nil)
            context.flush()
        }
    }
}

@Suite("HTTPClient uploads with backpressure")
struct StreamingUploadTests {
    @Test func anUploadToAServerThatDoesNotReadStopsReadingTheBody() async throws {
        let sink = try await LoopbackTCPServer.start(autoRead: false)
        let client = try HTTPClient(configuration: ClientConfiguration(httpVersion: .http1_1, timeout: .seconds(3)))
        let produced = Produced()
        let request = HTTPRequest(
            method: .put,
            scheme: "http",
            authority: "127.0.0.1:\(sink.port)",
            path: "/",
            headerFields: [.contentLength: "\(1 << 30)"]
        )
        // The server never reads and never answers: once the socket buffers are full, the piece waiting to be taken
        // runs the response timeout, and it ends the request.
        do {
            try await client.execute(request, body: CountedChunks(produced: produced)) { _ in () }
            Issue.record("the upload to a server that does not read ended without an error")
        } catch let error as ClientError {
            #expect(error.code == .timeout, "\(error)")
        }
        // What left the body sequence fits in the socket buffers and one chunk, not the gigabyte it could give.
        #expect(produced.bytes.load(ordering: .relaxed) < 24 << 20, "\(produced.bytes.load(ordering: .relaxed))")
        await client.shutdown()
        await sink.stop()
    }
}

/// Bytes handed out by ``CountedChunks``.
private final class Produced: Sendable {
    let bytes = Atomic<Int>(0)
}

/// 64 KiB chunks without end, counted as they are taken.
private struct CountedChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    typealias Failure = any Error
    let produced: Produced

    struct AsyncIterator: AsyncIteratorProtocol {
        let produced: Produced
        mutating func next() async throws -> ByteBuffer? {
            self.produced.bytes.wrappingAdd(64 * 1024, ordering: .relaxed)
            return ByteBuffer(repeating: UInt8(ascii: "u"), count: 64 * 1024)
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(produced: self.produced) }
}
