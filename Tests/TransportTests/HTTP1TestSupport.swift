import HTTPTypes
import NIOCore
import NIOEmbedded
import Testing

@testable import GatehouseTransport

/// A dispatcher that records requests and cancels, and answers either at once (`respond`) or on demand (`answer`).
final class HTTP1RecordingDispatcher: RequestDispatcher {
    var requests: [(stream: StreamID, request: Request)] = []
    var cancelled: [StreamID] = []
    var pending: [(stream: StreamID, writer: any ResponseWriter)] = []
    var respond: ((Request) -> Response)?

    init(respond: ((Request) -> Response)? = HTTP1RecordingDispatcher.echo) {
        self.respond = respond
    }

    /// 200 with the request body, or `hello` when it had none.
    static func echo(_ request: Request) -> Response {
        let body = request.body.readableBytes > 0 ? request.body : ByteBuffer(string: "hello")
        return Response(status: .ok, headerFields: [.contentType: "text/plain"], body: body)
    }

    func dispatch(_ request: Request, on stream: StreamID, writer: any ResponseWriter) {
        self.requests.append((stream, request))
        if let respond = self.respond {
            writer.write(respond(request), for: stream)
        } else {
            self.pending.append((stream, writer))
        }
    }

    func cancel(_ stream: StreamID) {
        self.cancelled.append(stream)
    }

    /// Answers the oldest pending request.
    func answer(_ response: Response = .text("done"), sourceLocation: SourceLocation = #_sourceLocation) {
        guard !self.pending.isEmpty else {
            Issue.record("no pending request to answer", sourceLocation: sourceLocation)
            return
        }
        let (stream, writer) = self.pending.removeFirst()
        writer.write(response, for: stream)
    }
}

/// One response read back from the channel's outbound bytes.
struct ParsedResponse {
    var version: String
    var code: Int
    var reason: String
    var headers: [(name: String, value: String)]
    var body: String

    func header(_ name: String) -> String? {
        self.headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// An `EmbeddedChannel`, already active, with the HTTP/1.1 server pipeline configured.
final class HTTP1TestConnection {
    let channel = EmbeddedChannel()
    let dispatcher: HTTP1RecordingDispatcher
    private var unread = ""

    init(
        limits: ConnectionLimits = ConnectionLimits(),
        dispatcher: HTTP1RecordingDispatcher = HTTP1RecordingDispatcher()
    ) throws {
        self.dispatcher = dispatcher
        try self.channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 443)).wait()
        try self.channel.pipeline.syncOperations.configureHTTP1Server(limits: limits, dispatcher: dispatcher)
    }

    deinit {
        _ = try? self.channel.finish()
    }

    var isOpen: Bool { self.channel.isActive }

    /// Sends raw request bytes; a closed channel swallows them.
    func send(_ text: String) {
        guard self.channel.isActive else { return }
        _ = try? self.channel.writeInbound(ByteBuffer(string: text))
    }

    /// Everything written so far, as text.
    func outboundText() throws -> String {
        while let buffer = try self.channel.readOutbound(as: ByteBuffer.self) {
            self.unread += String(buffer: buffer)
        }
        return self.unread
    }

    /// Parses the responses written so far; `headRequests` lists the indices of responses to `HEAD` requests.
    func responses(headRequests: Set<Int> = []) throws -> [ParsedResponse] {
        var text = Substring(try self.outboundText())
        var parsed: [ParsedResponse] = []
        while let end = text.firstRange(of: "\r\n\r\n") {
            let lines = text[..<end.lowerBound].split(separator: "\r\n", omittingEmptySubsequences: false)
            let status = lines[0].split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
            let headers = lines.dropFirst().map { line in
                let colon = line.firstIndex(of: ":")!
                return (String(line[..<colon]), String(line[line.index(after: colon)...].drop { $0 == " " }))
            }
            var response = ParsedResponse(
                version: String(status[0]),
                code: Int(status[1])!,
                reason: status.count > 2 ? String(status[2]) : "",
                headers: headers,
                body: ""
            )
            text = text[end.upperBound...]
            let length =
                response.code < 200 || headRequests.contains(parsed.count)
                ? 0 : Int(response.header("content-length") ?? "0")!
            response.body = String(text.utf8.prefix(length))!
            text = Substring(text.utf8.dropFirst(length))
            parsed.append(response)
        }
        return parsed
    }
}

/// Counts the `read` calls that pass it on their way to the channel.
final class ReadCounter: ChannelOutboundHandler {
    typealias OutboundIn = ByteBuffer
    var reads = 0

    func read(context: ChannelHandlerContext) {
        self.reads += 1
        context.read()
    }
}
