import NIOCore

/// Reads the reason phrase from each response's status line, which NIOHTTP1's decoder drops.
///
/// Sits between TLS and the decoder and passes every byte on unchanged. The client handler arms it when it sends a
/// request; requests are sequential, so the first line received afterwards is that response's status line
/// (an interim 1xx line is recognised by its code and skipped by the caller).
final class HTTP1ReasonPhraseReader: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// A status line is never longer than this; a longer one is not read.
    private static let maxLineLength = 1024

    private var line: [UInt8]? = nil
    private(set) var statusLine: (code: Int, reason: String)?

    /// Starts reading the next status line.
    func expectResponse() {
        self.line = []
        self.statusLine = nil
    }

    /// The reason phrase of the status line read, when its code is `code`.
    func reasonPhrase(for code: Int) -> String? {
        guard let statusLine = self.statusLine, statusLine.code == code else { return nil }
        return statusLine.reason
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if var line = self.line {
            let bytes = self.unwrapInboundIn(data).readableBytesView
            if let end = bytes.firstIndex(of: UInt8(ascii: "\r")) {
                line.append(contentsOf: bytes[..<end])
                self.statusLine = Self.parse(line)
                self.line = nil
            } else if line.count + bytes.count > Self.maxLineLength {
                self.line = nil
            } else {
                line.append(contentsOf: bytes)
                self.line = line
            }
        }
        context.fireChannelRead(data)
    }

    /// `HTTP/1.1 403 Invalid client certificate` → (403, "Invalid client certificate").
    private static func parse(_ line: [UInt8]) -> (code: Int, reason: String)? {
        let parts = line.split(separator: UInt8(ascii: " "), maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, let code = Int(String(decoding: parts[1], as: UTF8.self)) else { return nil }
        return (code, parts.count == 3 ? String(decoding: parts[2], as: UTF8.self) : "")
    }
}

@available(*, unavailable)
extension HTTP1ReasonPhraseReader: Sendable {}
