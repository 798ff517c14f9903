import HTTPTypes
import NIOCore
import NIOEmbedded

@testable import GatehouseTransport

/// A dispatcher that records requests and cancellations and answers according to its mode.
final class RecordingDispatcher: RequestDispatcher {
    enum Mode {
        /// Answer at once: 200 with the request body, or the path when the body is empty.
        case echo
        /// Keep the request until the test calls ``answer(_:with:)``.
        case hold
    }

    var mode: Mode
    private(set) var requests: [(stream: StreamID, request: Request)] = []
    private(set) var cancelled: [StreamID] = []
    private var writers: [StreamID: any ResponseWriter] = [:]

    init(mode: Mode = .echo) { self.mode = mode }

    func dispatch(_ request: Request, on stream: StreamID, writer: any ResponseWriter) {
        self.requests.append((stream, request))
        switch self.mode {
        case .echo: writer.write(Self.echo(request), for: stream)
        case .hold: self.writers[stream] = writer
        }
    }

    func cancel(_ stream: StreamID) {
        self.cancelled.append(stream)
        self.writers[stream] = nil
    }

    /// Answers a held request.
    func answer(_ stream: StreamID, with response: Response) {
        self.writers.removeValue(forKey: stream)?.write(response, for: stream)
    }

    static func echo(_ request: Request) -> Response {
        let body = request.body.readableBytes > 0 ? request.body : ByteBuffer(string: String(request.path))
        return Response(status: .ok, headerFields: [.contentType: "application/octet-stream"], body: body)
    }
}

/// An ``HTTP2ServerHandler`` in an `EmbeddedChannel`, wired to an ``HTTP2TestClient``.
final class HTTP2TestConnection {
    let channel = EmbeddedChannel()
    let client = HTTP2TestClient()
    let dispatcher: RecordingDispatcher
    /// Every GOAWAY the server wrote, read straight off the wire.
    private(set) var serverGoaways: [(lastStreamID: Int32, errorCode: UInt32)] = []
    /// Every RST_STREAM the server wrote.
    private(set) var serverResets: [(stream: Int32, errorCode: UInt32)] = []
    private var serverBytes = ByteBuffer()

    init(limits: ConnectionLimits = ConnectionLimits(), mode: RecordingDispatcher.Mode = .echo) throws {
        self.dispatcher = RecordingDispatcher(mode: mode)
        // Added after the TLS handshake, as in production: the channel is already active.
        try self.channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 443)).wait()
        try self.channel.pipeline.syncOperations.addHandler(
            HTTP2ServerHandler(limits: limits, dispatcher: self.dispatcher)
        )
    }

    deinit {
        _ = try? self.channel.finish(acceptAlreadyClosed: true)
    }

    var isOpen: Bool { self.channel.isActive }

    /// Shuttles bytes both ways until neither side has anything more to say.
    func exchange() throws {
        var moved = true
        while moved {
            moved = false
            let toServer = self.client.outbound()
            if toServer.readableBytes > 0 && self.channel.isActive {
                try self.channel.writeInbound(toServer)
                moved = true
            }
            while var toClient = try self.channel.readOutbound(as: ByteBuffer.self) {
                self.client.receive(toClient)
                self.serverBytes.writeBuffer(&toClient)
                self.scanServerFrames()
                moved = true
            }
        }
    }

    /// Splits the server's output into frames (RFC 9113 §4.1) and records its GOAWAYs and resets.
    private func scanServerFrames() {
        while self.serverBytes.readableBytes >= 9,
            let header = self.serverBytes.getBytes(at: self.serverBytes.readerIndex, length: 9)
        {
            let length = Int(header[0]) << 16 | Int(header[1]) << 8 | Int(header[2])
            guard self.serverBytes.readableBytes >= 9 + length else { return }
            self.serverBytes.moveReaderIndex(forwardBy: 9)
            var payload = self.serverBytes.readSlice(length: length)!
            if header[3] == 0x7, let last = payload.readInteger(as: UInt32.self),
                let code = payload.readInteger(as: UInt32.self)
            {
                self.serverGoaways.append((Int32(bitPattern: last & 0x7fff_ffff), code))
            } else if header[3] == 0x3, let code = payload.readInteger(as: UInt32.self) {
                let stream = header[5...8].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
                self.serverResets.append((Int32(bitPattern: stream & 0x7fff_ffff), code))
            }
        }
    }

    /// Sends raw bytes to the server, bypassing the client session.
    func sendRaw(_ bytes: ByteBuffer) throws {
        try self.channel.writeInbound(bytes)
    }
}
