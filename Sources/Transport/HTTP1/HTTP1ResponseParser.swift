import HTTPTypes
package import NIOCore

/// Splits the plaintext bytes of an HTTP/1.x client connection into responses: a head, body pieces, an end.
///
/// The response side of ``HTTP1RequestParser``, with the same head scan, field rules (``HTTP1HeadParser``) and body
/// decoder (``HTTP1BodyDecoder``). Interim responses (1xx other than 101) are checked and skipped: the final
/// response follows. A response has no body when it answers `HEAD` (``expectResponse(toHead:)``) or its status
/// forbids one; a body with neither `Content-Length` nor `chunked` ends when the server closes
/// (``connectionClosed()``). After a failure it returns the same failure forever: the connection must close.
package struct HTTP1ResponseParser {
    /// What ``next(from:)`` found.
    package enum Event {
        /// The buffer ends inside a head or holds no more body.
        case needMoreData
        /// The final response's head; its body (possibly empty) and ``end`` follow.
        case head(HTTP1ResponseHead)
        /// The next piece of the body.
        case body(ByteBuffer)
        /// The response is complete.
        case end
        /// The bytes are not an HTTP/1.x response; the connection must close.
        case failed(HTTP1ParseError)
    }

    private enum State {
        case head(lineStart: Int, scanned: Int)
        case body(HTTP1BodyDecoder)
        case failed(HTTP1ParseError)
    }

    private var state: State = .head(lineStart: 0, scanned: 0)
    private let maxHeadSize: Int
    private var answersHead = false

    /// Creates a parser whose heads (status line and fields, with their CRLFs), and chunked trailer sections, may
    /// be at most `maxHeadSize` bytes.
    package init(maxHeadSize: Int) {
        self.maxHeadSize = maxHeadSize
    }

    /// Notes the method of the request whose response comes next: the response to `HEAD` has no body.
    package mutating func expectResponse(toHead: Bool) {
        self.answersHead = toHead
    }

    /// Consumes the next part of a response from `buffer`.
    package mutating func next(from buffer: inout ByteBuffer) -> Event {
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
            case .failed(let error):
                return .failed(error)
            }
        }
    }

    /// The server closed the connection: whether that completed the response in progress, which is the case for a
    /// body that ends at the close (after ``next(from:)`` has returned all its bytes). A response cut short is not
    /// complete, nor is one whose head never arrived.
    package mutating func connectionClosed() -> Bool {
        guard case .body(let decoder) = self.state, decoder.isCompleteAtClose else { return false }
        self.state = .head(lineStart: 0, scanned: 0)
        return true
    }

    private mutating func fail(_ error: HTTP1ParseError) -> Event {
        self.state = .failed(error)
        return .failed(error)
    }

    /// Returns `nil` when the state changed and the loop should go on.
    private mutating func readHead(from buffer: inout ByteBuffer, lineStart: Int, scanned: Int) -> Event? {
        let scan = buffer.withUnsafeReadableBytes { bytes in
            HTTP1RequestParser.scanHead(bytes, lineStart: lineStart, scanned: scanned, maxHeadSize: self.maxHeadSize)
        }
        switch scan {
        case .incomplete(let lineStart, let scanned):
            self.state = .head(lineStart: lineStart, scanned: scanned)
            return .needMoreData
        case .leadingEmptyLine:
            // An empty line left over after a previous body, as before a request (RFC 9112 §2.2).
            buffer.moveReaderIndex(forwardBy: 2)
            self.state = .head(lineStart: 0, scanned: 0)
            return nil
        case .failed(let error):
            return self.fail(error == .requestLineTooLong ? .headTooLarge : error)
        case .complete(let length):
            let parsed = buffer.withUnsafeReadableBytes { bytes in
                Result { () throws(HTTP1ParseError) in
                    try HTTP1HeadParser.parseResponse(
                        UnsafeRawBufferPointer(rebasing: bytes[..<length]),
                        toHead: self.answersHead
                    )
                }
            }
            switch parsed {
            case .failure(let error):
                return self.fail(error)
            case .success(let (head, framing)):
                buffer.moveReaderIndex(forwardBy: length)
                let code = head.response.status.code
                if code < 200 && code != 101 {
                    // An interim response (100 Continue, 103 Early Hints): the final one follows.
                    self.state = .head(lineStart: 0, scanned: 0)
                    return nil
                }
                switch framing {
                case .none: self.state = .body(.length(0))
                case .length(let length): self.state = .body(.length(length))
                case .chunked: self.state = .body(.chunked(maxTrailerSize: self.maxHeadSize))
                case .untilClose: self.state = .body(.untilClose)
                }
                return .head(head)
            }
        }
    }
}
