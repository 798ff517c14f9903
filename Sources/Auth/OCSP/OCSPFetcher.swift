import GatehouseCertificates
import NIOCore
import NIOHTTP1
import NIOPosix

/// Sends one OCSP request over HTTP/1.1 (`POST`, `application/ocsp-request`) and returns the response body.
///
/// Runs on NIO's shared event loop group, never on a connection's loop; one connection per request, closed after
/// the answer (responders answer `Connection: close`). The whole exchange, connection included, must finish within
/// the timeout, and the body may not exceed ``OCSPConfiguration/maxResponseSize``.
struct OCSPFetcher: Sendable {
    let group: any EventLoopGroup

    init(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.group = group
    }

    /// POSTs `request` to `url` and returns the response body.
    /// - Throws: ``OCSPError`` `unreachable`, `timedOut` or `badResponse`.
    func fetch(_ request: [UInt8], from url: OCSPResponderURL, timeout: Duration) async throws -> [UInt8] {
        let eventLoop = self.group.next()
        let promise = eventLoop.makePromise(of: [UInt8].self)
        let deadline = eventLoop.scheduleTask(in: .nanoseconds(timeout.nanoseconds)) {
            promise.fail(OCSPError(.timedOut, "no answer from \(url) within \(timeout)"))
        }
        let connect = ClientBootstrap(group: eventLoop)
            .connectTimeout(.nanoseconds(timeout.nanoseconds))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(
                        OCSPResponseCollector(promise: promise, url: url, limit: OCSPConfiguration.maxResponseSize)
                    )
                }
            }
            .connect(host: url.host, port: url.port)
        connect.whenComplete { result in
            switch result {
            case .success(let channel):
                // Whatever ends the exchange (answer, failure, deadline) closes the connection.
                promise.futureResult.whenComplete { _ in channel.close(promise: nil) }
                Self.send(request, to: url, on: channel)
            case .failure(let error):
                promise.fail(OCSPError(.unreachable, "cannot connect to \(url): \(error)"))
            }
        }
        promise.futureResult.whenComplete { _ in deadline.cancel() }
        return try await promise.futureResult.get()
    }

    private static func send(_ body: [UInt8], to url: OCSPResponderURL, on channel: any Channel) {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: url.hostHeader)
        headers.add(name: "Content-Type", value: "application/ocsp-request")
        headers.add(name: "Accept", value: "application/ocsp-response")
        headers.add(name: "Content-Length", value: "\(body.count)")
        headers.add(name: "Connection", value: "close")
        let head = HTTPRequestHead(version: .http1_1, method: .POST, uri: url.target, headers: headers)
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.write(HTTPClientRequestPart.body(.byteBuffer(channel.allocator.buffer(bytes: body))), promise: nil)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
    }
}

extension Duration {
    /// The duration in whole nanoseconds (saturating).
    fileprivate var nanoseconds: Int64 {
        let (seconds, attoseconds) = self.components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : whole + attoseconds / 1_000_000_000
    }
}

/// Collects one HTTP response: a 200 with a body of at most `limit` bytes, or a failure.
private final class OCSPResponseCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let promise: EventLoopPromise<[UInt8]>
    private let url: OCSPResponderURL
    private let limit: Int
    private var body: [UInt8] = []

    init(promise: EventLoopPromise<[UInt8]>, url: OCSPResponderURL, limit: Int) {
        self.promise = promise
        self.url = url
        self.limit = limit
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            guard head.status == .ok else {
                self.promise.fail(OCSPError(.badResponse, "\(self.url) answered HTTP \(head.status.code)"))
                return
            }
        case .body(let buffer):
            guard self.body.count + buffer.readableBytes <= self.limit else {
                self.promise.fail(OCSPError(.badResponse, "\(self.url) sent more than \(self.limit) bytes"))
                return
            }
            self.body += buffer.readableBytesView
        case .end:
            self.promise.succeed(self.body)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.promise.fail(OCSPError(.unreachable, "\(self.url) closed the connection before answering"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.promise.fail(OCSPError(.badResponse, "\(self.url): \(error)"))
        context.close(promise: nil)
    }
}

@available(*, unavailable) extension OCSPResponseCollector: Sendable {}
