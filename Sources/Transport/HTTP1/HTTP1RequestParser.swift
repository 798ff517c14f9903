import NIOCore

/// Splits the plaintext bytes of an HTTP/1.x connection into requests: a head, body pieces, an end; then the next.
///
/// Incremental: ``next(from:)`` consumes what it can from the buffer and returns one event, or
/// ``Event/needMoreData`` and leaves the unfinished part in the buffer for the next call. A partial head is never
/// scanned twice. Bodies are returned as slices of the buffer (no copy), delimited by `Content-Length` or by the
/// `chunked` coding, whose chunk-size lines, chunk delimiters and trailer lines are checked as strictly as the head.
/// After a failure it returns the same failure forever: the connection must close.
struct HTTP1RequestParser {
    /// What ``next(from:)`` found.
    enum Event {
        /// The buffer ends inside a head, a chunk-size line or a trailer line, or holds no more body.
        case needMoreData
        /// A complete request head; its body (possibly empty) and ``end`` follow.
        case head(HTTP1RequestHead)
        /// A whole request that has no body and no expectation: its head and its end in one event, which spares
        /// the common `GET` a second round through the parser and the request machine.
        case request(HTTP1RequestHead)
        /// The next piece of the current request's body.
        case body(ByteBuffer)
        /// The current request is complete (after its body and trailers, if any).
        case end
        /// The bytes are not HTTP/1.x; answer ``HTTP1ParseError/response`` and close.
        case failed(HTTP1ParseError)
    }

    private enum State {
        /// Reading a head; `lineStart` is where its first unfinished line starts and `scanned` how far that line
        /// has been searched for its LF.
        case head(lineStart: Int, scanned: Int)
        case body(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        /// The CRLF after a chunk's data.
        case chunkDataEnd
        /// The trailer section of a chunked body; `size` bytes of it so far.
        case trailers(size: Int)
        /// The request is complete; ``Event/end`` is next.
        case complete
        case failed(HTTP1ParseError)
    }

    /// A chunk-size line (size and extensions) may be this long.
    static let maxChunkLineLength = 4096

    private var state: State = .head(lineStart: 0, scanned: 0)
    private let maxHeadSize: Int

    /// Creates a parser whose heads (request line and fields, with their CRLFs), and chunked trailer sections, may
    /// be at most `maxHeadSize` bytes.
    init(maxHeadSize: Int) {
        self.maxHeadSize = maxHeadSize
    }

    /// Consumes the next part of a request from `buffer`.
    mutating func next(from buffer: inout ByteBuffer) -> Event {
        while true {
            switch self.state {
            case .head(let lineStart, let scanned):
                guard let event = self.readHead(from: &buffer, lineStart: lineStart, scanned: scanned) else { continue }
                return event
            case .body(let remaining):
                guard buffer.readableBytes > 0 else { return .needMoreData }
                let count = min(remaining, buffer.readableBytes)
                self.state = count == remaining ? .complete : .body(remaining: remaining - count)
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
                guard buffer.readInteger(as: UInt16.self) == 0x0D0A else { return self.fail(.invalidChunk) }
                self.state = .chunkSize
            case .trailers(let size):
                guard let event = self.readTrailerLine(from: &buffer, size: size) else { continue }
                return event
            case .complete:
                self.state = .head(lineStart: 0, scanned: 0)
                return .end
            case .failed(let error):
                return .failed(error)
            }
        }
    }

    private mutating func fail(_ error: HTTP1ParseError) -> Event {
        self.state = .failed(error)
        return .failed(error)
    }

    // MARK: Head

    private enum HeadScan {
        case incomplete(lineStart: Int, scanned: Int)
        case leadingEmptyLine
        case complete(length: Int)
        case failed(HTTP1ParseError)
    }

    /// Returns `nil` when the state changed and the loop should go on.
    private mutating func readHead(from buffer: inout ByteBuffer, lineStart: Int, scanned: Int) -> Event? {
        let scan = buffer.withUnsafeReadableBytes { bytes in
            Self.scanHead(bytes, lineStart: lineStart, scanned: scanned, maxHeadSize: self.maxHeadSize)
        }
        switch scan {
        case .incomplete(let lineStart, let scanned):
            self.state = .head(lineStart: lineStart, scanned: scanned)
            return .needMoreData
        case .leadingEmptyLine:
            // RFC 9112 §2.2: an empty line before the request line (left over from a previous body) is ignored.
            buffer.moveReaderIndex(forwardBy: 2)
            self.state = .head(lineStart: 0, scanned: 0)
            return nil
        case .failed(let error):
            return self.fail(error)
        case .complete(let length):
            let parsed = buffer.withUnsafeReadableBytes { bytes in
                Result { () throws(HTTP1ParseError) in
                    try HTTP1HeadParser.parse(UnsafeRawBufferPointer(rebasing: bytes[..<length]))
                }
            }
            switch parsed {
            case .failure(let error):
                return self.fail(error)
            case .success(let head):
                buffer.moveReaderIndex(forwardBy: length)
                switch head.framing {
                case .length(0) where head.expectation != .none:
                    self.state = .complete
                case .none, .length(0):
                    self.state = .head(lineStart: 0, scanned: 0)
                    return .request(head)
                case .length(let length): self.state = .body(remaining: length)
                case .chunked: self.state = .chunkSize
                }
                return .head(head)
            }
        }
    }

    /// Finds the empty line that ends a head, checking that every line ends in CRLF and that the head stays within
    /// the limit.
    private static func scanHead(
        _ bytes: UnsafeRawBufferPointer,
        lineStart: Int,
        scanned: Int,
        maxHeadSize: Int
    ) -> HeadScan {
        var lineStart = lineStart
        var from = scanned
        // Only the first `maxHeadSize` bytes can hold a head that fits: nothing past them is looked at, so the
        // answer to an oversized head does not depend on how its bytes were split into reads.
        let end = min(bytes.count, maxHeadSize)
        while let index = HTTP1Syntax.firstLF(in: bytes, from: from, to: end) {
            guard index > lineStart, bytes[index - 1] == HTTP1Syntax.cr else { return .failed(.invalidLineEnding) }
            if index - 1 == lineStart {
                return lineStart == 0 ? .leadingEmptyLine : .complete(length: index + 1)
            }
            lineStart = index + 1
            from = index + 1
        }
        if bytes.count > maxHeadSize { return .failed(lineStart == 0 ? .requestLineTooLong : .headTooLarge) }
        return .incomplete(lineStart: lineStart, scanned: end)
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
        guard let result else { return self.fail(.invalidChunk) }
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

    /// Checks and drops one trailer line; trailers never reach the request (RFC 9110 §6.5.1 lets us discard them).
    private mutating func readTrailerLine(from buffer: inout ByteBuffer, size: Int) -> Event? {
        let limit = self.maxHeadSize - size
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
            return self.fail(error)
        case .success(nil):
            return .needMoreData
        case .success(.some(let line)):
            buffer.moveReaderIndex(forwardBy: line.length)
            self.state = line.isEmpty ? .complete : .trailers(size: size + line.length)
            return nil
        }
    }
}
