/// Hand-written HTTP/2 frames (RFC 9113 §4, §6) for tests that play a hostile client: nothing is checked or
/// flow-controlled unless the test does it. Header blocks use HPACK literals without indexing and without Huffman
/// coding (RFC 7541 §6.2.2), so no compression state is shared with the server.
public enum HTTP2RawFrames {
    /// The client connection preface (RFC 9113 §3.4) that must come before the first frame.
    public static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    /// The frame types of RFC 9113 §6, by their type codes.
    public enum FrameType: UInt8 {
        /// DATA: a stream's body bytes.
        case data = 0x0
        /// HEADERS: opens a stream with a header block.
        case headers = 0x1
        /// PRIORITY: a stream's priority (deprecated by RFC 9113).
        case priority = 0x2
        /// RST_STREAM: ends a stream with an error code.
        case rstStream = 0x3
        /// SETTINGS: the connection's parameters, or their acknowledgement.
        case settings = 0x4
        /// PUSH_PROMISE: a server push (refused by servers that disable push).
        case pushPromise = 0x5
        /// PING: a round-trip check, echoed with ACK.
        case ping = 0x6
        /// GOAWAY: the connection is ending; names the last stream processed.
        case goaway = 0x7
        /// WINDOW_UPDATE: more flow-control credit.
        case windowUpdate = 0x8
        /// CONTINUATION: the rest of a header block.
        case continuation = 0x9
    }

    /// The END_STREAM flag of DATA and HEADERS.
    public static let endStream: UInt8 = 0x1
    /// The END_HEADERS flag of HEADERS and CONTINUATION.
    public static let endHeaders: UInt8 = 0x4
    /// The ACK flag of SETTINGS and PING.
    public static let ack: UInt8 = 0x1

    /// One frame as read off the wire.
    public struct Frame: CustomStringConvertible {
        /// The type code; raw, so a type ``FrameType`` does not name still parses.
        public let type: UInt8
        /// The flags byte.
        public let flags: UInt8
        /// The stream identifier, reserved bit cleared.
        public let stream: UInt32
        /// The payload, padding included.
        public let payload: [UInt8]

        /// The 32-bit big-endian integer at `offset` of the payload (GOAWAY, RST_STREAM, WINDOW_UPDATE fields).
        public func integer(at offset: Int) -> UInt32 {
            guard self.payload.count >= offset + 4 else { return 0 }
            return self.payload[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
        }

        /// Type, flags, stream and payload length, for assertion messages.
        public var description: String {
            "frame(type \(self.type), flags \(self.flags), stream \(self.stream), \(self.payload.count) bytes)"
        }
    }

    /// A frame with `payload`.
    public static func frame(_ type: FrameType, flags: UInt8 = 0, stream: UInt32, payload: [UInt8] = []) -> [UInt8] {
        let length = payload.count
        return [UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff), type.rawValue, flags]
            + Self.bigEndian(stream & 0x7fff_ffff) + payload
    }

    /// SETTINGS with `entries` (identifier, value).
    public static func settings(_ entries: [(UInt16, UInt32)] = []) -> [UInt8] {
        let payload = entries.flatMap { [UInt8($0.0 >> 8), UInt8($0.0 & 0xff)] + Self.bigEndian($0.1) }
        return self.frame(.settings, stream: 0, payload: payload)
    }

    /// A SETTINGS frame acknowledging the server's settings.
    public static let settingsAck = frame(.settings, flags: ack, stream: 0)

    /// The request pseudo-header fields for `method` and `path`, then `extra`.
    public static func requestFields(method: String = "GET", path: String = "/", extra: [(String, String)] = [])
        -> [(String, String)]
    {
        [(":method", method), (":scheme", "https"), (":authority", "localhost"), (":path", path)] + extra
    }

    /// An HPACK header block of literals without indexing, with new names.
    public static func headerBlock(_ fields: [(String, String)]) -> [UInt8] {
        fields.flatMap { name, value in
            [0x00] + Self.hpackString(Array(name.utf8)) + Self.hpackString(Array(value.utf8))
        }
    }

    /// HEADERS carrying `fields` whole (END_HEADERS), or only its first `fragmentLength` bytes without END_HEADERS.
    public static func headers(
        stream: UInt32,
        _ fields: [(String, String)],
        endStream: Bool = false,
        fragmentLength: Int? = nil
    ) -> [UInt8] {
        let block = self.headerBlock(fields)
        var flags: UInt8 = endStream ? Self.endStream : 0
        if fragmentLength == nil { flags |= Self.endHeaders }
        return self.frame(
            .headers,
            flags: flags,
            stream: stream,
            payload: Array(block.prefix(fragmentLength ?? block.count))
        )
    }

    /// DATA with `count` bytes of `byte`.
    public static func data(stream: UInt32, count: Int, byte: UInt8 = 0x61, endStream: Bool = false) -> [UInt8] {
        self.frame(
            .data,
            flags: endStream ? Self.endStream : 0,
            stream: stream,
            payload: [UInt8](repeating: byte, count: count)
        )
    }

    /// PRIORITY (RFC 9113 §6.3) making `stream` depend on `dependency`, not exclusively, with weight 16.
    public static func priority(stream: UInt32, dependsOn dependency: UInt32) -> [UInt8] {
        self.frame(.priority, stream: stream, payload: Self.bigEndian(dependency & 0x7fff_ffff) + [15])
    }

    /// WINDOW_UPDATE (RFC 9113 §6.9) growing `stream`'s window (the connection's for stream 0) by `increment`.
    public static func windowUpdate(stream: UInt32, increment: UInt32) -> [UInt8] {
        self.frame(.windowUpdate, stream: stream, payload: Self.bigEndian(increment))
    }

    /// Takes the complete frames off the front of `bytes`.
    public static func parse(_ bytes: inout [UInt8]) -> [Frame] {
        var frames: [Frame] = []
        var offset = 0
        while bytes.count - offset >= 9 {
            let length = Int(bytes[offset]) << 16 | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2])
            guard bytes.count - offset >= 9 + length else { break }
            let stream = bytes[offset + 5..<offset + 9].reduce(UInt32(0)) { $0 << 8 | UInt32($1) } & 0x7fff_ffff
            frames.append(
                Frame(
                    type: bytes[offset + 3],
                    flags: bytes[offset + 4],
                    stream: stream,
                    payload: Array(bytes[offset + 9..<offset + 9 + length])
                )
            )
            offset += 9 + length
        }
        bytes.removeFirst(offset)
        return frames
    }

    private static func hpackString(_ bytes: [UInt8]) -> [UInt8] {
        Self.hpackInteger(bytes.count, prefixBits: 7) + bytes  // H bit clear: no Huffman
    }

    /// RFC 7541 §5.1 integer with an N-bit prefix (the prefix's other bits left clear).
    private static func hpackInteger(_ value: Int, prefixBits: Int) -> [UInt8] {
        let limit = (1 << prefixBits) - 1
        guard value >= limit else { return [UInt8(value)] }
        var out = [UInt8(limit)]
        var rest = value - limit
        while rest >= 128 {
            out.append(UInt8(rest % 128 + 128))
            rest /= 128
        }
        out.append(UInt8(rest))
        return out
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
    }
}

extension RawTLSClient {
    /// Reads for up to `timeout` seconds until `isComplete` holds for the frames read so far, or the server closes.
    /// `pending` holds bytes of a partial frame before and after the call.
    public func receiveFrames(
        timeout: Double,
        pending: inout [UInt8],
        until isComplete: ([HTTP2RawFrames.Frame]) -> Bool = { _ in false }
    ) -> (frames: [HTTP2RawFrames.Frame], closed: Bool) {
        let start = pending
        let result = self.receive(timeout: timeout) { received in
            var bytes = start + received
            return isComplete(HTTP2RawFrames.parse(&bytes))
        }
        pending = start + result.bytes
        return (HTTP2RawFrames.parse(&pending), result.closed)
    }
}
