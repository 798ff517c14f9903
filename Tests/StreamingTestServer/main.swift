// A Gatehouse server with streaming routes, run as a child process by the end-to-end tests that measure what a
// streamed body costs the server (RSS from /proc/PID): `StreamingTestServer CHAIN KEY CA` listens on a free port
// of 127.0.0.1 (h2 and http/1.1, client certificates requested), prints `port N`, and serves until it is killed.
//
// - `POST /stream/count`: reads the streamed request body and answers its length;
// - `GET /stream/download?bytes=N`: answers N bytes produced 64 KiB at a time while they are sent;
// - `GET /stream/download-fresh?bytes=N`: the same, each 64 KiB in a buffer of its own.
import Foundation
import GatehouseRouting
import GatehouseTransport
import HTTPTypes
import Logging
import NIOCore

/// Counts a streamed request body.
struct CountBody: Function {
    var requestBodyMode: RequestBodyMode { .streamed }

    func respond(to request: Request, context: RequestContext) async throws -> Response {
        var count = 0
        for try await piece in request.bodyStream { count += piece.readableBytes }
        return .text("\(count)")
    }
}

/// Produces `bytes` bytes while they are sent: slices of one buffer, or with `freshPieces` each piece in a buffer of
/// its own, as a proxy's reads from its upstream are (so that queued pieces cost memory).
struct StreamDownload: Function {
    var freshPieces = false

    func respond(to request: Request, context: RequestContext) async throws -> Response {
        let query = request.rawQuery
        let total = query.hasPrefix("bytes=") ? Int(query.dropFirst(6)) ?? 0 : 0
        let piece = ByteBuffer(repeating: 0x61, count: 64 * 1024)
        let body = ResponseBody(contentLength: total) { writer in
            var left = total
            while left > 0 {
                let count = min(left, piece.readableBytes)
                let slice = piece.getSlice(at: piece.readerIndex, length: count)!
                try await writer.write(self.freshPieces ? ByteBuffer(buffer: slice) : slice)
                left -= count
            }
        }
        return Response(head: HTTPResponse(status: .ok), body: body)
    }
}

let arguments = CommandLine.arguments
guard arguments.count == 4 else {
    FileHandle.standardError.write(Data("usage: StreamingTestServer CHAIN KEY CA\n".utf8))
    exit(2)
}
let logger = Logger(label: "streaming-test-server") { _ in SwiftLogNoOpLogHandler() }
var routes = RouterBuilder()
try routes.add("/stream/count", methods: [.post, .put], function: CountBody())
try routes.add("/stream/download", function: StreamDownload())
try routes.add("/stream/download-fresh", function: StreamDownload(freshPieces: true))
let tls = TLSConfiguration(
    identity: .pem(certificateChainFile: arguments[1], privateKeyFile: arguments[2]),
    clientCertificateMode: .request,
    trustedCAFiles: [arguments[3]]
)
var limits = ConnectionLimits()
limits.requestBodyTimeout = .seconds(60)
// Four times the default, so that a test can tell the connection's bound (maxPendingOutputBytes) from the streams'.
limits.maxQueuedResponseBytesPerStream = 1024 * 1024
let server = Server(
    configuration: ServerConfiguration(
        listeners: [ListenerConfiguration(host: "127.0.0.1", port: 0, tls: tls, limits: limits)]
    ),
    responder: routes.build(),
    logger: logger
)
let addresses = try await server.start()
FileHandle.standardOutput.write(Data("port \(addresses.first?.port ?? 0)\n".utf8))
while true { try await Task.sleep(for: .seconds(3600)) }
