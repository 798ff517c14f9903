import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import GatehouseTransport

/// The client's HTTP/1.1 codec on the server's code (``HTTPRequest/writeHTTP1Head(bodyLength:into:)``,
/// ``HTTP1ResponseParser``) against the NIOHTTP1 path the client used before (`HTTPRequestEncoder`,
/// `HTTPResponseDecoder` and the conversions between HTTPTypes and NIOHTTP1's types), each in an `EmbeddedChannel`
/// as a client pipeline runs it.
///
/// The tests check that both read the same responses and send the same requests. The two codecs below are also
/// what Benchmarks/README.md ("One HTTP/1.1 codec") counts the instructions of, each exchange in functions of its
/// own (`ownSend`, `ownReceive`, `nioSend`, `nioReceive`).
@Suite("HTTP/1.1 client codec: own against NIOHTTP1")
struct HTTP1ClientCodecComparisonTests {
    /// What `GET /api/hello?name=bench` gets from Gatehouse.
    static let helloResponse =
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nDate: Thu, 03 Dec 2026 08:00:00 GMT\r\n"
        + "Content-Length: 13\r\n\r\nHello, bench."

    /// A typical JSON answer of a web server, chunked, with the fields such servers add.
    static let chunkedJSONResponse =
        "HTTP/1.1 200 OK\r\nServer: nginx/1.24.0\r\nDate: Thu, 03 Dec 2026 08:00:00 GMT\r\n"
        + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n"
        + "Cache-Control: no-store\r\nX-Request-Id: 4f6c2b1e-9d0a-4c1b-8e55-0d8e3f7a9b21\r\n"
        + "Strict-Transport-Security: max-age=31536000\r\n\r\n"
        + "3a\r\n{\"id\":42,\"name\":\"bench\",\"tags\":[\"a\",\"b\",\"c\"],\"active\":true\r\n"
        + "1a\r\n,\"owner\":\"client.example\"}\r\n0\r\n\r\n"

    static let responses = [
        helloResponse, chunkedJSONResponse,
        "HTTP/1.1 403 Invalid client certificate\r\nContent-Type: application/problem+json\r\n"
            + "Content-Length: 2\r\nConnection: close\r\n\r\n{}",
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n",
        "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 3\r\n\r\nabc",
    ]

    static let request = HTTPRequest(
        method: .get,
        scheme: "https",
        authority: "127.0.0.1:8443",
        path: "/api/hello?name=bench",
        headerFields: [.accept: "*/*", .userAgent: "gatehouse-call"]
    )

    @Test(arguments: responses)
    func bothReadTheSameResponse(text: String) throws {
        let own = OwnClientCodec.channel()
        let nio = try NIOHTTP1ClientCodec.channel()
        _ = try ownSend(own, Self.request, body: nil)
        _ = try nioSend(nio, Self.request, body: nil)
        let ours = try #require(try ownReceive(own, ByteBuffer(string: text)))
        let theirs = try #require(try nioReceive(nio, ByteBuffer(string: text)))
        #expect(ours.head.status.code == theirs.head.status.code)
        #expect(ours.head.headerFields == theirs.head.headerFields)
        #expect(ours.body == theirs.body)
    }

    @Test func bothSendARequestTheServerReadsTheSame() throws {
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        fields.append(HTTPField(name: HTTPField.Name("X-Trace")!, value: "t1"))
        let post = HTTPRequest(
            method: .post,
            scheme: "https",
            authority: "localhost:8443",
            path: "/echo",
            headerFields: fields
        )
        for (request, body) in [(Self.request, nil), (post, ByteBuffer(string: "{\"a\":1}"))] {
            var ours = try ownSend(OwnClientCodec.channel(), request, body: body)
            var theirs = try nioSend(try NIOHTTP1ClientCodec.channel(), request, body: body)
            var ownParser = HTTP1RequestParser(maxHeadSize: 1024)
            var nioParser = HTTP1RequestParser(maxHeadSize: 1024)
            let ownEvents = HTTP1TestEvent.drain(&ownParser, &ours)
            let nioEvents = HTTP1TestEvent.drain(&nioParser, &theirs)
            #expect(ownEvents == nioEvents)
            #expect(ownEvents.contains(.end))
        }
    }
}

// MARK: The two codecs, as the client runs them

/// A complete response as the client hands it over.
struct ReceivedResponse {
    var head: HTTPResponse
    var body: ByteBuffer
}

/// Sends `request` through the own codec; returns the bytes it wrote.
@inline(never)
func ownSend(_ channel: EmbeddedChannel, _ request: HTTPRequest, body: ByteBuffer?) throws -> ByteBuffer {
    try channel.writeOutbound(ClientRequestPart(head: request, body: body))
    return try collectOutbound(channel)
}

/// Feeds `bytes` to the own codec; returns the response they complete.
@inline(never)
func ownReceive(_ channel: EmbeddedChannel, _ bytes: ByteBuffer) throws -> ReceivedResponse? {
    try channel.writeInbound(bytes)
    return try channel.readInbound(as: ReceivedResponse.self)
}

/// Sends `request` through NIOHTTP1's encoder; returns the bytes it wrote.
@inline(never)
func nioSend(_ channel: EmbeddedChannel, _ request: HTTPRequest, body: ByteBuffer?) throws -> ByteBuffer {
    let length = body?.readableBytes ?? 0
    try channel.writeOutbound(HTTPClientRequestPart.head(NIOHTTP1ClientCodec.head(for: request, bodyLength: length)))
    if let body, length > 0 { try channel.writeOutbound(HTTPClientRequestPart.body(.byteBuffer(body))) }
    try channel.writeOutbound(HTTPClientRequestPart.end(nil))
    return try collectOutbound(channel)
}

/// Feeds `bytes` to NIOHTTP1's decoder; returns the response they complete.
@inline(never)
func nioReceive(_ channel: EmbeddedChannel, _ bytes: ByteBuffer) throws -> ReceivedResponse? {
    try channel.writeInbound(bytes)
    return try channel.readInbound(as: ReceivedResponse.self)
}

private func collectOutbound(_ channel: EmbeddedChannel) throws -> ByteBuffer {
    var all = ByteBuffer()
    while var part = try channel.readOutbound(as: ByteBuffer.self) { all.writeBuffer(&part) }
    return all
}

/// A request and its body on the way into the own codec.
struct ClientRequestPart {
    var head: HTTPRequest
    var body: ByteBuffer?
}

/// What `HTTP1ClientHandler` does with the bytes: requests encoded by ``HTTPRequest/writeHTTP1Head``, responses
/// parsed by ``HTTP1ResponseParser`` and collected whole.
final class OwnClientCodec: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ReceivedResponse
    typealias OutboundIn = ClientRequestPart
    typealias OutboundOut = ByteBuffer

    private var parser = HTTP1ResponseParser(maxHeadSize: 80 * 1024)
    private var pending = ByteBuffer()
    private var head: HTTP1ResponseHead?
    private var body = ByteBuffer()

    static func channel() -> EmbeddedChannel {
        EmbeddedChannel(handler: OwnClientCodec())
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = self.unwrapOutboundIn(data)
        self.parser.expectResponse(toHead: request.head.method == .head)
        let body = request.body ?? ByteBuffer()
        var head = context.channel.allocator.buffer(capacity: 0)
        request.head.writeHTTP1Head(bodyLength: body.readableBytes, into: &head)
        if body.readableBytes > 0 {
            context.write(self.wrapOutboundOut(head), promise: nil)
            context.write(self.wrapOutboundOut(body), promise: promise)
        } else {
            context.write(self.wrapOutboundOut(head), promise: promise)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = self.unwrapInboundIn(data)
        if self.pending.readableBytes == 0 {
            self.pending = bytes
        } else {
            self.pending.writeBuffer(&bytes)
        }
        loop: while true {
            switch self.parser.next(from: &self.pending) {
            case .needMoreData:
                break loop
            case .head(let head):
                self.head = head
            case .body(var piece):
                if self.body.readableBytes == 0 { self.body = piece } else { self.body.writeBuffer(&piece) }
            case .end:
                guard let head = self.head else { break loop }
                context.fireChannelRead(self.wrapInboundOut(ReceivedResponse(head: head.response, body: self.body)))
                self.head = nil
                self.body = ByteBuffer()
            case .failed(let error):
                context.fireErrorCaught(error)
                break loop
            }
        }
    }
}

/// The client's HTTP/1.1 handlers before issue 14: NIOHTTP1's encoder and decoder, and the conversions of its
/// heads from and to HTTPTypes.
final class NIOHTTP1ClientCodec: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias InboundOut = ReceivedResponse

    private var head: HTTPResponseHead?
    private var body = ByteBuffer()

    static func channel() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandlers([
            HTTPRequestEncoder(),
            ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .dropBytes)),
            NIOHTTP1ClientCodec(),
        ])
        return channel
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head) where head.status.code < 200:
            break  // interim response
        case .head(let head):
            self.head = head
        case .body(var piece):
            self.body.writeBuffer(&piece)
        case .end:
            guard let head = self.head else { return }
            let response = ReceivedResponse(head: Self.response(for: head), body: self.body)
            context.fireChannelRead(self.wrapInboundOut(response))
            self.head = nil
            self.body = ByteBuffer()
        }
    }

    /// The NIOHTTP1 head for `request` (the client's former `HTTPRequest.http1ClientHead`).
    static func head(for request: HTTPRequest, bodyLength: Int) -> HTTPRequestHead {
        var headers = HTTPHeaders()
        headers.reserveCapacity(request.headerFields.count + 2)
        if let authority = request.authority { headers.add(name: "host", value: authority) }
        var hasLength = false
        for field in request.headerFields {
            if field.name == .contentLength { hasLength = true }
            if field.name == .transferEncoding { continue }
            headers.add(name: field.name.rawName, value: field.value)
        }
        if !hasLength && (bodyLength > 0 || [.post, .put, .patch].contains(request.method)) {
            headers.add(name: "content-length", value: String(bodyLength))
        }
        return HTTPRequestHead(
            version: .http1_1,
            method: HTTPMethod(rawValue: request.method.rawValue),
            uri: request.path ?? "/",
            headers: headers
        )
    }

    /// The `HTTPResponse` for a NIOHTTP1 head (the client's former `HTTPResponse.init(http1:reasonPhrase:)`).
    static func response(for head: HTTPResponseHead) -> HTTPResponse {
        var fields = HTTPFields()
        fields.reserveCapacity(head.headers.count)
        for (name, value) in head.headers {
            guard let fieldName = HTTPField.Name(name) else { continue }
            fields.append(HTTPField(name: fieldName, value: value))
        }
        return HTTPResponse(
            status: HTTPResponse.Status(code: Int(head.status.code), reasonPhrase: head.status.reasonPhrase),
            headerFields: fields
        )
    }
}

@available(*, unavailable)
extension OwnClientCodec: Sendable {}

@available(*, unavailable)
extension NIOHTTP1ClientCodec: Sendable {}
