import NIOCore

/// Splits the plaintext bytes of an HTTP/1.x connection into requests: a head, body pieces, an end; then the next.
///
/// Incremental: ``next(from:)`` consumes what it can from the buffer and returns one event, or
/// ``Event/needMoreData`` and leaves the unfinished part in the buffer for the next call. A partial head is never
/// scanned twice. Bodies are returned as slices of the buffer (no copy), delimited by `Content-Length` or by the
/// `chunked` coding, whose chunk-size lines, chunk delimiters and trailer lines are checked as strictly as the head
/// (``HTTP1BodyDecoder``, shared with ``HTTP1ResponseParser``).
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
        case body(HTTP1BodyDecoder)
        /// The request is complete; ``Event/end`` is next.
        case complete
        case failed(HTTP1ParseError)
    }

    /// A chunk-size line (size and extensions) may be this long.
    static let maxChunkLineLength = HTTP1BodyDecoder.maxChunkLineLength

    private var state: State = .head(lineStart: 0, scanned: 0)
    private let maxHeadSize: Int
    /// The previous request, the next one is built from.
    private var reuse = HTTP1RequestReuse()

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
            case .body(var decoder):
                switch decoder.next(from: &buffer) {
                case .needMoreData:
                    self.state = .body(decoder)
                    return .needMoreData
                case .body(let piece):
                    self.state = .body(decoder)
                    return .body(piece)
                case .end:
                    self.state = .head(lineStart: 0, scanned: 0)
                    return .end
                case .failed(let error):
                    return self.fail(error)
                }
            case .complete:
                self.state = .head(lineStart: 0, scanned: 0)
                return .end
            case .failed(let error):
                return .failed(error)
            }
        }
    }

    /// Lets go of the previous request's path and fields once it is answered (``HTTP1RequestReuse/trim()``).
    mutating func trimReusedRequest() {
        self.reuse.trim()
    }

    /// Lets go of the previous request entirely (``HTTP1RequestReuse/release()``): the connection is idle.
    mutating func releaseReusedRequest() {
        self.reuse.release()
    }

    private mutating func fail(_ error: HTTP1ParseError) -> Event {
        self.state = .failed(error)
        return .failed(error)
    }

    // MARK: Head

    enum HeadScan {
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
                    try HTTP1HeadParser.parse(UnsafeRawBufferPointer(rebasing: bytes[..<length]), reusing: &self.reuse)
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
                case .length(let length): self.state = .body(.length(length))
                case .chunked: self.state = .body(.chunked(maxTrailerSize: self.maxHeadSize))
                }
                return .head(head)
            }
        }
    }

    /// Finds the empty line that ends a head, checking that every line ends in CRLF and that the head stays within
    /// the limit.
    static func scanHead(
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
}
