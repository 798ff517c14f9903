import HTTPTypes
import NIOCore
import Routing
import Transport

/// `POST /echo`: answers with the request body.
struct Echo: Function {
    func respond(to request: Request, context: RequestContext) async throws -> Response {
        Response(status: .ok, headerFields: [.contentType: "application/octet-stream"], body: request.body)
    }
}

/// `GET /download?bytes=N`: answers with N bytes of a repeating pattern.
struct Download: Function {
    func respond(to request: Request, context: RequestContext) async throws -> Response {
        let count = request.query["bytes"].flatMap { Int($0) } ?? 0
        var body = ByteBuffer()
        body.reserveCapacity(count)
        for index in 0..<count { body.writeInteger(UInt8(truncatingIfNeeded: index % 251)) }
        return Response(status: .ok, headerFields: [.contentType: "application/octet-stream"], body: body)
    }
}

/// `GET /slow?ms=N`: answers `done` after N milliseconds.
struct Slow: Function {
    func respond(to request: Request, context: RequestContext) async throws -> Response {
        let milliseconds = request.query["ms"].flatMap { Int($0) } ?? 500
        try await Task.sleep(for: .milliseconds(milliseconds))
        return .text("done")
    }
}

/// `GET /connection`: answers `<connection id> <HTTP version> <ALPN or ->`.
struct ConnectionFacts: Function {
    func respond(to request: Request, context: RequestContext) async throws -> Response {
        let info = context.connection
        return .text("\(info.id) \(info.httpVersion) \(info.tls.alpn ?? "-")")
    }
}
