import NIOCore

/// Reads one HTTP/1.x message body from the bytes that follow its head (RFC 9112 §6–§7): a known number of bytes,
/// the `chunked` coding, or everything until the connection closes (responses only). Shared by
/// ``HTTP1RequestParser`` and ``HTTP1ResponseParser``.
///
/// Body pieces are returned as slices of the buffer (no copy). Chunk-size lines, chunk delimiters and trailer lines
/// are checked as strictly as a head; trailers are checked and dropped (RFC 9110 §6.5.1 lets a recipient discard
/// them).
struct HTTP1BodyDecoder {
    /// What ``next(from:)`` found.
    enum Event {
        /// The buffer holds no more of the body.
        case needMoreData
        /// The next piece of the body.
        case body(ByteBuffer)
        /// The body is complete (after its trailers, if any).
        case end
        /// The body's framing is broken; nothing after it can be trusted.
        case failed(HTTP1ParseError)
    }

    private enum State {
        case length(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        /// The CRLF after a chunk's data.
        case chunkDataEnd
        /// The trailer section of a chunked body; `size` bytes of it so far.
        case trailers(size: Int)
        /// Everything until the connection closes.
        case untilClose
        /// ``Event/end`` is next.
        case complete
    }

    /// A chunk-size line (size and extensions) may be this long.
    static let maxChunkLineLength = 4096

    private var state: State
    /// The trailer section of a chunked body may be this long.
    private let maxTrailerSize: Int

    /// A body of exactly `length` bytes.
    static func length(_ length: Int) -> HTTP1BodyDecoder {
        HTTP1BodyDecoder(state: length == 0 ? .complete : .length(remaining: length), maxTrailerSize: 0)
    }

    /// A `chunked` body whose trailer section may be at most `maxTrailerSize` bytes.
    static func chunked(maxTrailerSize: Int) -> HTTP1BodyDecoder {
        HTTP1BodyDecoder(state: .chunkSize, maxTrailerSize: maxTrailerSize)
    }

    /// A body that ends when the connection closes (RFC 9112 §6.3, item 8).
    static let untilClose = HTTP1BodyDecoder(state: .untilClose, maxTrailerSize: 0)

    private init(state: State, maxTrailerSize: Int) {
        self.state = state
        self.maxTrailerSize = maxTrailerSize
    }

    /// Consumes the next part of the body from `buffer`.
    mutating func next(from buffer: inout ByteBuffer) -> Event {
        while true {
            switch self.state {
            case .length(let remaining):
                guard buffer.readableBytes > 0 else { return .needMoreData }
                let count = min(remaining, buffer.readableBytes)
                self.state = count == remaining ? .complete : .length(remaining: remaining - count)
                return .body(buffer.readSlice(length: count)!)
            case .chunkSize:
                guard let event = self.readChunkSize(from: &buffer) else { continue }
                return event
            case .chunkData(let remaining):
                guard buffer.readableBytes > 0 else { return .needMoreData }
                let count = min(remaining, buffer.readableBytes)
                self.state = count == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - count)
                return .body(buffer.readSlice(length: count)!)
            case .chunkDataEnd:
                guard buffer.readableBytes >= 2 else { return .needMoreData }
                guard buffer.readInteger(as: UInt16.self) == 0x0D0A else { return .failed(.invalidChunk) }
                self.state = .chunkSize
            case .trailers(let size):
                guard let event = self.readTrailerLine(from: &buffer, size: size) else { continue }
                return event
            case .untilClose:
                guard buffer.readableBytes > 0 else { return .needMoreData }
                return .body(buffer.readSlice(length: buffer.readableBytes)!)
            case .complete:
                return .end
            }
        }
    }

    /// The connection closed: whether that completes the body (a close-delimited body, or one already complete).
    var isCompleteAtClose: Bool {
        switch self.state {
        case .untilClose, .complete: true
        default: false
        }
    }

    // MARK: Chunked body

    private enum LineScan {
        case incomplete
        case line(content: Range<Int>, length: Int)
        /// A bare LF.
        case invalidEnding
        /// No LF within the limit.
        case tooLong
    }

    /// Finds the next CRLF-terminated line within `limit` bytes.
    private static func scanLine(_ bytes: UnsafeRawBufferPointer, limit: Int) -> LineScan {
        guard let index = HTTP1Syntax.firstLF(in: bytes, from: 0, to: min(bytes.count, limit)) else {
            return bytes.count >= limit ? .tooLong : .incomplete
        }
        guard index > 0, bytes[index - 1] == HTTP1Syntax.cr else { return .invalidEnding }
        return .line(content: 0..<(index - 1), length: index + 1)
    }

    /// Returns `nil` when the state changed and the loop should go on.
    private mutating func readChunkSize(from buffer: inout ByteBuffer) -> Event? {
        let result: (size: Int, length: Int)?? = buffer.withUnsafeReadableBytes { bytes in
            switch Self.scanLine(bytes, limit: Self.maxChunkLineLength) {
            case .incomplete: return .some(nil)
            case .invalidEnding, .tooLong: return nil
            case .line(let content, let length):
                guard let size = Self.chunkSize(bytes, content) else { return nil }
                return (size, length)
            }
        }
        guard let result else { return .failed(.invalidChunk) }
        guard let (size, length) = result else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: length)
        self.state = size == 0 ? .trailers(size: 0) : .chunkData(remaining: size)
        return nil
    }

    /// `chunk-size [ chunk-ext ]`: 1 to 15 hex digits (so the size fits an `Int`), then nothing, or optional
    /// whitespace, `;` and field-content (the extensions are ignored, RFC 9112 §7.1.1).
    private static func chunkSize(_ bytes: UnsafeRawBufferPointer, _ line: Range<Int>) -> Int? {
        var size = 0
        var index = line.lowerBound
        while index < line.upperBound, let digit = hexValue(bytes[index]) {
            guard index - line.lowerBound < 15 else { return nil }
            size = size << 4 | digit
            index += 1
        }
        guard index > line.lowerBound else { return nil }
        while index < line.upperBound && HTTP1Syntax.isWhitespace(bytes[index]) { index += 1 }
        guard index < line.upperBound else { return size }
        guard bytes[index] == HTTP1Syntax.semicolon else { return nil }
        for extensionIndex in index..<line.upperBound where !HTTP1Syntax.isFieldContent(bytes[extensionIndex]) {
            return nil
        }
        return size
    }

    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    /// Checks and drops one trailer line. Returns `nil` when the state changed and the loop should go on.
    private mutating func readTrailerLine(from buffer: inout ByteBuffer, size: Int) -> Event? {
        let limit = self.maxTrailerSize - size
        let scan: Result<(isEmpty: Bool, length: Int)?, HTTP1ParseError> = buffer.withUnsafeReadableBytes { bytes in
            switch Self.scanLine(bytes, limit: limit) {
            case .incomplete: return .success(nil)
            case .invalidEnding: return .failure(.invalidChunk)
            case .tooLong: return .failure(.headTooLarge)
            case .line(let content, let length):
                if content.isEmpty { return .success((true, length)) }
                guard (try? HTTP1HeadParser.splitFieldLine(bytes, content)) != nil else {
                    return .failure(.invalidChunk)
                }
                return .success((false, length))
            }
        }
        switch scan {
        case .failure(let error):
            return .failed(error)
        case .success(nil):
            return .needMoreData
        case .success(.some(let line)):
            buffer.moveReaderIndex(forwardBy: line.length)
            self.state = line.isEmpty ? .complete : .trailers(size: size + line.length)
            return nil
        }
    }
}
