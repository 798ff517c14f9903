/// Follows the client's frames through the plaintext stream, one frame header at a time, without parsing their
/// payloads: where each frame begins, its type, flags and stream, across reads that split a header anywhere.
///
/// The server uses it to check frames on closed streams before nghttp2 reads them (``HTTP2ClosedStreams``). The
/// client connection preface is skipped as 24 bytes; nghttp2 validates it.
struct HTTP2InboundFrameHeaders {
    /// A frame header (RFC 9113 §4.1).
    struct Header: Equatable {
        var length: Int
        var type: UInt8
        var flags: UInt8
        var stream: Int32
    }

    /// The highest odd stream identifier of a HEADERS frame seen so far: a frame on a stream above it is on a new
    /// (or idle) stream, never on a closed one. Kept by the caller.
    var highestStream: Int32 = 0
    /// Bytes to pass over before the next frame header: the preface, then each frame's payload.
    private var skip = 24
    /// How many bytes of the current frame header were read (0 between frames).
    private var headerBytes = 0
    private var header = Header(length: 0, type: 0, flags: 0, stream: 0)

    /// Reads `bytes` from `offset` on until the end of the next complete frame header, which it returns with the
    /// offset in `bytes` where that frame begins (negative when its header began in an earlier read); `nil` when the
    /// bytes end first. `offset` ends just past the header.
    mutating func next(in bytes: UnsafeRawBufferPointer, from offset: inout Int) -> (Header, start: Int)? {
        while offset < bytes.count {
            if self.skip > 0 {
                let passed = min(self.skip, bytes.count - offset)
                self.skip -= passed
                offset += passed
                continue
            }
            if self.headerBytes == 0, bytes.count - offset >= 9 {
                // The usual case: the whole header is in this read.
                let start = offset
                let length = Int(bytes[start]) << 16 | Int(bytes[start + 1]) << 8 | Int(bytes[start + 2])
                var stream = UInt32(bytes[start + 5]) << 24 | UInt32(bytes[start + 6]) << 16
                stream |= UInt32(bytes[start + 7]) << 8 | UInt32(bytes[start + 8])
                self.header = Header(
                    length: length,
                    type: bytes[start + 3],
                    flags: bytes[start + 4],
                    stream: Int32(bitPattern: stream & 0x7FFF_FFFF)
                )
                offset += 9
                self.skip = length
                return (self.header, start)
            }
            let byte = bytes[offset]
            offset += 1
            switch self.headerBytes {
            case 0: self.header = Header(length: Int(byte), type: 0, flags: 0, stream: 0)
            case 1, 2: self.header.length = self.header.length << 8 | Int(byte)
            case 3: self.header.type = byte
            case 4: self.header.flags = byte
            default: self.header.stream = (self.header.stream << 8 | Int32(byte)) & 0x7FFF_FFFF
            }
            self.headerBytes += 1
            if self.headerBytes == 9 {
                self.headerBytes = 0
                self.skip = self.header.length
                return (self.header, offset - 9)
            }
        }
        return nil
    }
}
