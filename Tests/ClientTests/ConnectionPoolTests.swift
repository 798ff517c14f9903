import Foundation
import HTTPTypes
import NIOCore
import NIOPosix
import Synchronization
import TestSupport
import Testing

@testable import GatehouseClient

@Suite("HTTPClient's pool bounds the requests waiting for a connection")
struct ConnectionPoolTests {
    /// The one connection is held by an upload that never ends (no timeout runs while the caller has not sent its
    /// next piece), two requests wait for it: a fourth and fifth request fail with `connectionsBusy` (thrown only
    /// instead of joining the queue) and send nothing; the waiting ones end with a timeout once they have waited the
    /// response timeout (15 s: the waiters must all be queued before the first one's wait ends, on a machine where
    /// the whole suite starting at once delays a test by seconds).
    @Test func requestsBeyondTheWaitingBoundFailAtOnceAndTheWaitingOnesTimeOut() async throws {
        let server = try await PathEchoServer.start()
        let client = try Self.client(waiting: 2, responseTimeout: .seconds(15))
        let holder = Task {
            let upload = HTTPRequest(method: .post, scheme: "http", authority: server.authority, path: "/upload")
            try await client.execute(upload, body: EndlessUpload()) { _ in () }
        }
        #expect(try await waitUntil { server.requests == 1 })
        var waiting: [Task<ClientResponse, any Error>] = []
        let waitStarted = ContinuousClock.now
        for number in 1...2 {
            waiting.append(Task { try await client.execute(.get, server.url("/\(number)")) })
            #expect(try await waitUntil { client.pool.waitingCount(for: server.origin) == number })
        }
        for number in 3...4 {
            do {
                _ = try await client.execute(.get, server.url("/\(number)"))
                Issue.record("request \(number) was answered")
            } catch let error as ClientError {
                #expect(error.code == .connectionsBusy, "\(error)")
                #expect(error.message.contains("all 1 connections to the server are busy and 2 requests"), "\(error)")
            }
        }
        for task in waiting {
            do {
                _ = try await task.value
                Issue.record("a request waiting for a busy connection was answered")
            } catch let error as ClientError {
                #expect(error.code == .timeout, "\(error)")
                #expect(error.message.contains("no connection to the server came free within 15"), "\(error)")
            }
        }
        #expect(ContinuousClock.now - waitStarted >= .seconds(15))
        #expect(client.pool.waitingCount(for: server.origin) == 0)
        #expect(server.accepted == 1 && server.requests == 1, "a request beyond the connection reached the server")
        holder.cancel()
        await #expect(throws: (any Error).self) { try await holder.value }
        await client.shutdown()
        await server.stop()
    }

    /// Requests that find the one connection busy get it in the order they came.
    @Test func waitingRequestsGetTheConnectionFirstComeFirstServed() async throws {
        let server = try await PathEchoServer.start()
        let client = try Self.client(waiting: nil, responseTimeout: .seconds(30))
        let answered = try await withThrowingTaskGroup(of: String.self) { group in
            for number in 0..<6 {
                group.addTask { try await client.execute(.get, server.url("/\(number)")).bodyText }
                if number == 0 {
                    #expect(try await waitUntil { server.requests == 1 })
                } else {
                    #expect(try await waitUntil { client.pool.waitingCount(for: server.origin) == number })
                }
            }
            server.answer()  // from now on each request is answered at once, so they finish in the order served
            var answered: [String] = []
            for try await path in group { answered.append(path) }
            return answered
        }
        #expect(answered == (0..<6).map { "/\($0)" })
        #expect(server.accepted == 1)
        await client.shutdown()
        await server.stop()
    }

    /// Concurrent first requests on one serial executor (as a gateway's are: a connection's requests run on its event
    /// loop) to a server that turns out to speak HTTP/1.1: those that waited for the first connection attempt each
    /// lease their own instead of finding the finished attempt again, which never let the first request go on.
    @Test(.timeLimit(.minutes(1)))
    func firstRequestsOnOneExecutorThatFindHTTP1EachGetAConnection() async throws {
        let server = try await PathEchoServer.start()
        server.answer()
        let client = try HTTPClient(configuration: ClientConfiguration(httpVersion: .automatic))
        let loop = OnOneEventLoop(MultiThreadedEventLoopGroup.singleton.next())
        let answered = try await withThrowingTaskGroup(of: String.self) { group in
            for number in 0..<6 { group.addTask { try await loop.get(client, server.url("/\(number)")) } }
            var answered: [String] = []
            for try await path in group { answered.append(path) }
            return answered.sorted()
        }
        #expect(answered == (0..<6).map { "/\($0)" })
        await client.shutdown()
        await server.stop()
    }

    private static func client(waiting: Int?, responseTimeout: Duration) throws -> HTTPClient {
        var configuration = ClientConfiguration(httpVersion: .http1_1)
        configuration.maxConnectionsPerOrigin = 1
        configuration.maxWaitingRequestsPerOrigin = waiting
        configuration.responseTimeout = responseTimeout
        return try HTTPClient(configuration: configuration)
    }
}

/// Runs requests on one event loop's serial executor, as a server connection's requests run.
private actor OnOneEventLoop {
    nonisolated let unownedExecutor: UnownedSerialExecutor

    init(_ loop: any EventLoop) {
        self.unownedExecutor = loop.executor.asUnownedSerialExecutor()
    }

    /// The body of `GET url`, the client's work done on this actor's loop.
    func get(_ client: HTTPClient, _ url: String) async throws -> String {
        try await client.execute(.get, url).bodyText
    }
}

/// A request body whose first piece comes at once and whose second never does.
private struct EndlessUpload: AsyncSequence, Sendable {
    struct AsyncIterator: AsyncIteratorProtocol {
        var sent = false
        mutating func next() async throws -> ByteBuffer? {
            if !self.sent {
                self.sent = true
                return ByteBuffer(string: "first piece")
            }
            try await Task.sleep(for: .seconds(3600))
            return nil
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator() }
}

/// A plaintext HTTP/1.1 server that answers each request with its path once ``answer()`` was called (the requests
/// before it then at once), and counts the connections and requests it took.
private final class PathEchoServer: Sendable {
    /// Counts, and the answers held until ``answer()``.
    final class State: Sendable {
        let accepted = Atomic<Int>(0)
        let requests = Atomic<Int>(0)
        let held = Mutex<(isAnswering: Bool, answers: [@Sendable () -> Void])>((false, []))

        /// Runs `answer` now when answering, else once ``PathEchoServer/answer()`` is called.
        func whenAnswering(_ answer: @escaping @Sendable () -> Void) {
            let now = self.held.withLock { held in
                if !held.isAnswering { held.answers.append(answer) }
                return held.isAnswering
            }
            if now { answer() }
        }
    }

    private let server: LoopbackTCPServer
    private let state: State

    var port: Int { self.server.port }
    var accepted: Int { self.state.accepted.load(ordering: .relaxed) }
    var requests: Int { self.state.requests.load(ordering: .relaxed) }
    var authority: String { "127.0.0.1:\(self.port)" }
    var origin: ClientConnection.Origin { ClientConnection.Origin(host: "127.0.0.1", port: self.port, isSecure: false) }

    private init(server: LoopbackTCPServer, state: State) {
        self.server = server
        self.state = state
    }

    func url(_ path: String) -> String { "http://\(self.authority)\(path)" }

    /// Answers the requests held so far, and every later one at once.
    func answer() {
        let held = self.state.held.withLock { held in
            held.isAnswering = true
            defer { held.answers = [] }
            return held.answers
        }
        for answer in held { answer() }
    }

    static func start() async throws -> PathEchoServer {
        let state = State()
        let server = try await LoopbackTCPServer.start {
            state.accepted.wrappingAdd(1, ordering: .relaxed)
            return PathEchoHandler(state: state)
        }
        return PathEchoServer(server: server, state: state)
    }

    func stop() async {
        await self.server.stop()
    }
}

private final class PathEchoHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let state: PathEchoServer.State
    /// Bytes after the last request head (a body is never answered, only counted with its head).
    var received = ""

    init(state: PathEchoServer.State) {
        self.state = state
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.received += String(buffer: self.unwrapInboundIn(data))
        while let end = self.received.range(of: "\r\n\r\n") {
            let path = self.received[..<end.lowerBound].split(separator: " ").dropFirst().first.map(String.init) ?? "/"
            self.received.removeSubrange(..<end.upperBound)
            self.state.requests.wrappingAdd(1, ordering: .relaxed)
            let answer = ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: \(path.utf8.count)\r\n\r\n\(path)")
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            self.state.whenAnswering {
                bound.eventLoop.execute {
                    let (handler, context) = bound.value
                    context.writeAndFlush(handler.wrapOutboundOut(answer), promise: nil)
                }
            }
        }
    }
}
