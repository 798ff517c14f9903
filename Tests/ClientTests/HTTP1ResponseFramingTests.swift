import Foundation
import GatehouseTransport
import HTTPTypes
import NIOCore
import NIOPosix
import TestSupport
import Testing

@testable import GatehouseClient

/// A TLS server on a loopback port that answers each HTTP/1.1 request with the bytes `responses` maps its path to,
/// written as given, and closes the connection after the answers marked so: the client meets framings and
/// mistakes a Gatehouse server never sends.
private struct CannedServer {
    let port: Int
    let pki: TestPKI
    let channel: any Channel

    /// Each path's answer, and whether the server closes the connection after it.
    typealias Answers = [String: (bytes: String, close: Bool)]

    static func start(_ answers: Answers) async throws -> CannedServer {
        let pki = try TestPKI.shared()
        let tls = try TLSContext(
            server: TLSConfiguration(
                identity: .pem(certificateChainFile: pki.server.chainFile, privateKeyFile: pki.server.keyFile),
                clientCertificateMode: .none,
                applicationProtocols: ["http/1.1"]
            )
        )
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        TLSHandler(context: tls, role: .server), CannedAnswers(answers),
                    ])
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return CannedServer(port: try #require(channel.localAddress?.port), pki: pki, channel: channel)
    }

    func url(_ path: String) -> String { "https://127.0.0.1:\(self.port)\(path)" }

    /// Runs `body` with an HTTP/1.1 client of this server, then stops both.
    func withClient(_ body: (HTTPClient) async throws -> Void) async throws {
        let client = try HTTPClient(
            configuration: ClientConfiguration(trustedCAFiles: [self.pki.rootCAFile], httpVersion: .http1_1)
        )
        do {
            try await body(client)
        } catch {
            await client.shutdown()
            try? await self.channel.close()
            throw error
        }
        await client.shutdown()
        try await self.channel.close()
    }
}

/// Reads request heads off the plaintext and writes each one's canned answer.
private final class CannedAnswers: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let answers: CannedServer.Answers
    private var received = ""

    init(_ answers: CannedServer.Answers) {
        self.answers = answers
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.received += String(buffer: self.unwrapInboundIn(data))
        // Requests without bodies only: each ends at its empty line.
        while let end = self.received.range(of: "\r\n\r\n") {
            let head = self.received[..<end.lowerBound]
            self.received = String(self.received[end.upperBound...])
            let path = head.split(separator: " ").dropFirst().first.map(String.init) ?? ""
            let answer = self.answers[path] ?? ("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", false)
            context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(string: answer.bytes)), promise: nil)
            if answer.close {
                context.close(promise: nil)
                return
            }
        }
    }
}

@available(*, unavailable)
extension CannedAnswers: Sendable {}

@Suite("The client reads every HTTP/1.1 framing, and refuses broken ones")
struct HTTP1ResponseFramingTests {
    @Test func chunkedWithTrailersInterimResponsesAndAReasonPhrase() async throws {
        let server = try await CannedServer.start([
            "/chunked": (
                "HTTP/1.1 299 Fine Enough\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n1\r\n!\r\n0\r\n"
                    + "X-Trailer: t\r\n\r\n",
                false
            ),
            "/interim": (
                "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
                    + "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nreal",
                false
            ),
        ])
        try await server.withClient { client in
            let chunked = try await client.execute(.get, server.url("/chunked"))
            #expect(chunked.statusLine == "HTTP/1.1 299 Fine Enough")
            #expect(chunked.bodyText == "hello!")
            #expect(chunked.head.headerFields[.transferEncoding] == "chunked")
            let interim = try await client.execute(.get, server.url("/interim"))
            #expect(interim.status.code == 200)
            #expect(interim.bodyText == "real")
        }
    }

    @Test func aHEADResponseHasNoBodyAndTheConnectionCarriesOn() async throws {
        let server = try await CannedServer.start([
            "/resource": ("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", false),
            "/next": ("HTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\n", false),
        ])
        try await server.withClient { client in
            let head = try await client.execute(
                HTTPRequest(
                    method: .head,
                    scheme: "https",
                    authority: "127.0.0.1:\(server.port)",
                    path: "/resource"
                )
            )
            #expect(head.status.code == 200)
            #expect(head.body.readableBytes == 0)
            #expect(head.head.headerFields[.contentLength] == "5")
            // Had the client waited for 5 (or 9) body bytes, these requests would time out.
            let next = try await client.execute(.get, server.url("/next"))
            #expect(next.status.code == 204)
        }
    }

    @Test func aBodyWithoutLengthEndsAtTheClose() async throws {
        let server = try await CannedServer.start([
            "/stream": ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end", true)
        ])
        try await server.withClient { client in
            let response = try await client.execute(.get, server.url("/stream"))
            #expect(response.bodyText == "until the end")
        }
    }

    @Test(arguments: [
        ("HTTP/1.1 2OO OK\r\nContent-Length: 0\r\n\r\n", "the status line is malformed"),
        ("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n", "Transfer-Encoding"),
        ("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n", "Content-Length"),
        ("HTTP/1.1 200 OK\r\nX-Folded: a\r\n b\r\nContent-Length: 0\r\n\r\n", "header field line"),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n", "chunked body"),
    ])
    func brokenResponsesAreProtocolErrors(response: String, explanation: String) async throws {
        let server = try await CannedServer.start(["/broken": (response, false)])
        try await server.withClient { client in
            let error = await #expect(throws: ClientError.self) {
                try await client.execute(.get, server.url("/broken"))
            }
            #expect(error?.code == .protocolError)
            #expect(error?.message.hasPrefix("the server's HTTP/1.1 response could not be read: ") == true)
            #expect(error?.message.contains(explanation) == true, "\(error?.message ?? "")")
        }
    }

    @Test func aResponseCutShortIsAClosedConnection() async throws {
        let server = try await CannedServer.start([
            "/short": ("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", true)
        ])
        try await server.withClient { client in
            let error = await #expect(throws: ClientError.self) { try await client.execute(.get, server.url("/short")) }
            #expect(error?.code == .connectionClosed)
        }
    }

    @Test func anOversizedHeadIsRefused() async throws {
        let huge =
            "HTTP/1.1 200 OK\r\nX-Big: " + String(repeating: "b", count: HTTP1ClientHandler.maxResponseHeadSize)
            + "\r\n\r\n"
        let server = try await CannedServer.start(["/huge": (huge, false)])
        try await server.withClient { client in
            let error = await #expect(throws: ClientError.self) { try await client.execute(.get, server.url("/huge")) }
            #expect(error?.code == .protocolError)
            #expect(error?.message.contains("too large") == true)
        }
    }
}
