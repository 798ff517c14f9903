import Foundation
import GatehouseCertificates
import GatehouseClient
import GatehouseConfiguration
import GatehouseRouting
import GatehouseTesting
import GatehouseTransport
import HTTPTypes
import Logging
import NIOCore
import NIOPosix
import Synchronization
import TestSupport
import Testing

/// What the echo upstream saw of one request.
struct EchoedRequest: Decodable {
    let method: String
    let path: String
    let authority: String?
    let headers: [[String]]
    let bodyLength: Int
    /// The subject of the certificate the caller (the gateway) presented to the upstream.
    let peerSubject: String?
    let connection: UInt64
    let httpVersion: String

    /// Every value of the field `name` (case-insensitive), in order.
    func values(_ name: String) -> [String] {
        self.headers.filter { $0[0].lowercased() == name.lowercased() }.map { $0[1] }
    }
}

/// The `x-cancel-tag` values of echo requests whose task the upstream server cancelled (its client went away).
let cancelledEchoes = Mutex<Set<String>>([])

/// The upstream service: answers every request with what it received, as JSON; waits `x-delay-ms` first.
private struct Echo: Function {
    func respond(to request: Request, context: RequestContext) async throws -> Response {
        if let delay = request.head.headerFields[HTTPField.Name("x-delay-ms")!].flatMap(Int.init) {
            do {
                try await Task.sleep(for: .milliseconds(delay))
            } catch {
                if let tag = request.head.headerFields[HTTPField.Name("x-cancel-tag")!] {
                    cancelledEchoes.withLock { _ = $0.insert(tag) }
                }
                throw error
            }
        }
        let document: [String: Any] = [
            "method": request.method.rawValue,
            "path": request.head.path ?? "",
            "authority": request.head.authority ?? NSNull(),
            "headers": request.head.headerFields.map { [$0.name.rawName, $0.value] },
            "bodyLength": request.body.readableBytes,
            "peerSubject": context.connection.tls.peerCertificate?.subject ?? NSNull(),
            "connection": context.connection.id,
            "httpVersion": context.connection.httpVersion.rawValue,
        ]
        let data = try JSONSerialization.data(withJSONObject: document)
        return Response(status: .ok, headerFields: [.contentType: "application/json"], body: ByteBuffer(bytes: data))
    }
}

/// `GET /big?bytes=N`: N bytes of `x`.
private struct Big: Function {
    func respond(to request: Request, context: RequestContext) async throws -> Response {
        let size = Int(request.rawQuery.split(separator: "=").last ?? "") ?? 0
        return Response(status: .ok, body: ByteBuffer(repeating: UInt8(ascii: "x"), count: size))
    }
}

/// What the upstream's `/produce` route did, by its `tag`: body bytes written so far, how it ended (`complete`,
/// `failed` when asked to fail, `cancelled` when the gateway went away), and the tags a test released.
enum ProduceLog {
    static let written = Mutex<[String: Int]>([:])
    static let outcomes = Mutex<[String: String]>([:])
    static let released = Mutex<Set<String>>([])

    static func written(_ tag: String) -> Int { Self.written.withLock { $0[tag] ?? 0 } }
    static func outcome(_ tag: String) -> String? { Self.outcomes.withLock { $0[tag] } }
    static func release(_ tag: String) { Self.released.withLock { _ = $0.insert(tag) } }
}

/// `GET /produce?bytes=N&tag=T`: N bytes of `a` streamed 64 KiB at a time, chunked (with `length=1`, announced as
/// `Content-Length`); with `hold=1` it waits after the first piece until the test releases `tag`; with `failAt=M`
/// it breaks off after M bytes. Logs what it wrote and how it ended in ``ProduceLog``.
private struct Produce: Function {
    private struct Failure: Error {}

    func respond(to request: Request, context: RequestContext) async throws -> Response {
        var query: [String: String] = [:]
        for pair in request.rawQuery.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            query[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        let total = query["bytes"].flatMap { Int($0) } ?? 0
        let tag = query["tag"] ?? ""
        let failAt = query["failAt"].flatMap { Int($0) }
        let hold = query["hold"] != nil
        let piece = ByteBuffer(repeating: UInt8(ascii: "a"), count: 64 * 1024)
        let body = ResponseBody(contentLength: query["length"] != nil ? total : nil) { writer in
            var written = 0
            do {
                while written < total {
                    if let failAt, written >= failAt { throw Failure() }
                    let count = min(total - written, piece.readableBytes)
                    try await writer.write(piece.getSlice(at: piece.readerIndex, length: count)!)
                    written += count
                    ProduceLog.written.withLock { $0[tag] = written }
                    while hold && !ProduceLog.released.withLock({ $0.contains(tag) }) {
                        try await Task.sleep(for: .milliseconds(10))
                    }
                }
                ProduceLog.outcomes.withLock { $0[tag] = "complete" }
            } catch {
                ProduceLog.outcomes.withLock { $0[tag] = error is Failure ? "failed" : "cancelled" }
                throw error
            }
        }
        return Response(head: HTTPResponse(status: .ok), body: body)
    }
}

/// Runs the echo upstream (a Gatehouse server asking for a client certificate) on an ephemeral port; HTTP/2 clients
/// may open `maxConcurrentStreams` streams at a time.
func withEchoUpstream<Value>(
    maxConcurrentStreams: Int = ConnectionLimits().maxConcurrentStreams,
    _ body: (Int) async throws -> Value
) async throws -> Value {
    var routes = RouterBuilder()
    try routes.add("/*", methods: [.get, .post, .put, .delete, .head], function: Echo())
    try routes.add("/big", function: Big())
    try routes.add("/produce", function: Produce())
    var limits = ConnectionLimits()
    limits.handshakeTimeout = .seconds(60)
    limits.maxBodySize = 16 << 20
    limits.maxConcurrentStreams = maxConcurrentStreams
    return try await GatehouseTestServer.withServer(router: routes.build(), limits: limits) { upstream in
        try await body(upstream.port)
    }
}

/// Runs a gateway from `configuration` (YAML; `pki/…` files as ``GatehouseTestServer`` lays them out).
func withGateway<Value>(
    _ configuration: String,
    _ body: (GatehouseTestServer) async throws -> Value
) async throws -> Value {
    try await GatehouseTestServer.withServer(configuration: configuration, body)
}

/// A gateway configuration with one upstream `backend` at `url` and routes `/orders/*` (stripPrefix `/orders`,
/// policy `partners`) and `/open/*` (no policy).
func gatewayConfiguration(url: String, upstream: String = "", methods: String = "[GET, POST, PUT, HEAD]") -> String {
    """
    listeners:
      - { host: 127.0.0.1, port: 8443, protocols: [h2, http/1.1],
          tls: { certificate: pki/server.crt, privateKey: pki/server.key, clientCertificate: request } }
    policies:
      partners: { trustedCAs: [pki/ca.crt] }
    upstreams:
      backend:
        url: \(url)
    \(upstream.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
    routes:
      - { path: /orders/*, methods: \(methods), upstream: backend, policy: partners, stripPrefix: /orders }
      - { path: /open/*, methods: \(methods), upstream: backend }
    """
}

/// Decodes the echo upstream's answer.
func echoed(_ response: ClientResponse, sourceLocation: SourceLocation = #_sourceLocation) throws -> EchoedRequest {
    #expect(response.status == .ok, "\(response.statusLine) \(response.bodyText)", sourceLocation: sourceLocation)
    return try JSONDecoder().decode(EchoedRequest.self, from: Data(response.bodyText.utf8))
}

/// A plain TCP upstream that answers every connection's first bytes with `reply` (or never, when `nil`) and
/// counts the connections it accepted and saw closed.
final class RawUpstream: Sendable {
    private let server: LoopbackTCPServer
    private let counts: Counts

    final class Counts: Sendable {
        let accepted = Atomic<Int>(0)
        let closed = Atomic<Int>(0)
    }

    private init(server: LoopbackTCPServer, counts: Counts) {
        self.server = server
        self.counts = counts
    }

    /// The port it listens on.
    var port: Int { self.server.port }
    /// Connections accepted so far.
    var accepted: Int { self.counts.accepted.load(ordering: .relaxed) }
    /// Connections the peer closed so far.
    var closed: Int { self.counts.closed.load(ordering: .relaxed) }

    static func start(reply: String?) async throws -> RawUpstream {
        let counts = Counts()
        let server = try await LoopbackTCPServer.start { RawReplyHandler(reply: reply, counts: counts) }
        return RawUpstream(server: server, counts: counts)
    }

    func stop() async {
        await self.server.stop()
    }
}

private final class RawReplyHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let reply: String?
    let counts: RawUpstream.Counts
    var replied = false

    init(reply: String?, counts: RawUpstream.Counts) {
        self.reply = reply
        self.counts = counts
    }

    func channelActive(context: ChannelHandlerContext) {
        self.counts.accepted.wrappingAdd(1, ordering: .relaxed)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.counts.closed.wrappingAdd(1, ordering: .relaxed)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let reply, !self.replied else { return }
        self.replied = true
        context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(string: reply)), promise: nil)
    }
}

/// Waits until `condition` holds, polling every 20 ms, at most `timeout`.
func eventually(
    within timeout: Duration = .seconds(10),
    _ condition: () -> Bool
) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try await Task.sleep(for: .milliseconds(20))
    }
    return condition()
}

/// Header fields from a dictionary, for unit tests.
enum HTTPFieldsFixture {
    static func make(_ values: [String: String]) -> HTTPFields {
        HTTPFields(values.map { HTTPField(name: HTTPField.Name($0.key)!, value: $0.value) })
    }
}
