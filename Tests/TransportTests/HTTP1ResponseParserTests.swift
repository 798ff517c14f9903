import HTTPTypes
import NIOCore
import Testing

@testable import GatehouseTransport

/// A response parser event with the head reduced to what the tests compare.
private enum ResponseEvent: Equatable {
    case head(code: Int, reason: String, fields: [String], keepAlive: Bool)
    case body(String)
    case end
    case failed(HTTP1ParseError)
}

/// Collects the parser's events for `buffer` until it needs more data or fails; adjacent body pieces are merged, so
/// the result does not depend on how the bytes were split.
private func drain(_ parser: inout HTTP1ResponseParser, _ buffer: inout ByteBuffer) -> [ResponseEvent] {
    var events: [ResponseEvent] = []
    while true {
        switch parser.next(from: &buffer) {
        case .needMoreData:
            return events
        case .head(let head):
            let fields = head.response.headerFields.map { "\($0.name.rawName): \($0.value)" }
            let status = head.response.status
            events.append(
                .head(code: status.code, reason: status.reasonPhrase, fields: fields, keepAlive: head.keepAlive)
            )
        case .body(let piece):
            if case .body(let previous) = events.last {
                events[events.count - 1] = .body(previous + String(buffer: piece))
            } else {
                events.append(.body(String(buffer: piece)))
            }
        case .end:
            events.append(.end)
        case .failed(let error):
            events.append(.failed(error))
            return events
        }
    }
}

/// The events of `text` fed in one piece.
private func parse(_ text: String, toHead: Bool = false, maxHeadSize: Int = 1024) -> [ResponseEvent] {
    var parser = HTTP1ResponseParser(maxHeadSize: maxHeadSize)
    parser.expectResponse(toHead: toHead)
    var buffer = ByteBuffer(string: text)
    return drain(&parser, &buffer)
}

/// The events of `text` fed one byte at a time.
private func parseByteByByte(_ text: String, toHead: Bool = false, maxHeadSize: Int = 1024) -> [ResponseEvent] {
    var parser = HTTP1ResponseParser(maxHeadSize: maxHeadSize)
    parser.expectResponse(toHead: toHead)
    var buffer = ByteBuffer()
    var events: [ResponseEvent] = []
    for byte in text.utf8 {
        buffer.writeInteger(byte)
        for event in drain(&parser, &buffer) {
            if case .body(let piece) = event, case .body(let previous) = events.last {
                events[events.count - 1] = .body(previous + piece)
            } else {
                events.append(event)
            }
        }
        if case .failed = events.last { break }
    }
    return events
}

/// Whether `text` split in two at every offset gives the same events each time; returns them (`[]` when not).
private func parseSplitEverywhere(_ text: String) -> [ResponseEvent] {
    let bytes = Array(text.utf8)
    var results: [[ResponseEvent]] = []
    for split in 1..<bytes.count {
        var parser = HTTP1ResponseParser(maxHeadSize: 1024)
        var buffer = ByteBuffer(bytes: bytes[..<split])
        var events = drain(&parser, &buffer)
        buffer.writeBytes(bytes[split...])
        for event in drain(&parser, &buffer) {
            if case .body(let piece) = event, case .body(let previous) = events.last {
                events[events.count - 1] = .body(previous + piece)
            } else {
                events.append(event)
            }
        }
        results.append(events)
    }
    guard let first = results.first, results.allSatisfy({ $0 == first }) else { return [] }
    return first
}

/// The error `text` fails with, if it does.
private func failure(_ text: String, maxHeadSize: Int = 1024) -> HTTP1ParseError? {
    guard case .failed(let error) = parse(text, maxHeadSize: maxHeadSize).last else { return nil }
    return error
}

@Suite("HTTP/1.1 response parser")
struct HTTP1ResponseParserTests {
    static let typical =
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\ndate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
        + "Content-Length: 13\r\n\r\nHello, bench."

    @Test func aTypicalResponseSplitAtEveryByteGivesTheSameEvents() {
        let expected: [ResponseEvent] = [
            .head(
                code: 200,
                reason: "OK",
                fields: [
                    "Content-Type: text/plain; charset=utf-8", "date: Sun, 06 Nov 1994 08:49:37 GMT",
                    "Content-Length: 13",
                ],
                keepAlive: true
            ),
            .body("Hello, bench."), .end,
        ]
        #expect(parse(Self.typical) == expected)
        #expect(parseByteByByte(Self.typical) == expected)
        #expect(parseSplitEverywhere(Self.typical) == expected)
    }

    @Test(arguments: [
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\n1\r\n!\r\n0\r\nX-T: 1\r\n\r\n",
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\nHTTP/1.1 200 OK\r\n"
            + "Content-Length: 2\r\n\r\nok",
        "HTTP/1.0 200 OK\r\nX-A: 1\r\n\r\nto the close",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    ])
    func everySplitGivesTheSameEvents(text: String) {
        let whole = parse(text)
        #expect(!whole.isEmpty)
        #expect(parseByteByByte(text) == whole)
        #expect(parseSplitEverywhere(text) == whole)
    }

    @Test func theReasonPhraseAndEveryFieldAreKept() {
        let text =
            "HTTP/1.1 403 Invalid client certificate\r\nConnection: keep-alive\r\nX-A: 1\r\nx-a: 2\r\n"
            + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        #expect(
            parse(text) == [
                .head(
                    code: 403,
                    reason: "Invalid client certificate",
                    fields: ["Connection: keep-alive", "X-A: 1", "x-a: 2", "Transfer-Encoding: chunked"],
                    keepAlive: true
                ),
                .end,
            ]
        )
        // No reason phrase at all, or an empty one.
        #expect(parse("HTTP/1.1 204\r\n\r\n") == [.head(code: 204, reason: "", fields: [], keepAlive: true), .end])
        #expect(parse("HTTP/1.1 204 \r\n\r\n") == [.head(code: 204, reason: "", fields: [], keepAlive: true), .end])
    }

    @Test func aResponseToHEADHasNoBodyWhateverItsFieldsSay() {
        let text = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        var parser = HTTP1ResponseParser(maxHeadSize: 1024)
        parser.expectResponse(toHead: true)
        var buffer = ByteBuffer(string: text)
        #expect(parser.next(from: &buffer).isHead)
        #expect(parser.next(from: &buffer).isEnd)
        // The next response (to a GET) starts right after the head.
        parser.expectResponse(toHead: false)
        #expect(
            drain(&parser, &buffer) == [
                .head(code: 200, reason: "OK", fields: ["Content-Length: 2"], keepAlive: true), .body("ok"), .end,
            ]
        )
    }

    @Test(arguments: [204, 304])
    func noContentAndNotModifiedHaveNoBody(code: Int) {
        let text = "HTTP/1.1 \(code) X\r\nContent-Length: 5\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
        let events = parse(text)
        #expect(
            events == [
                .head(code: code, reason: "X", fields: ["Content-Length: 5"], keepAlive: true), .end,
                .head(code: 200, reason: "OK", fields: ["Content-Length: 0"], keepAlive: true), .end,
            ]
        )
        // Even a chunked coding is not read for them.
        #expect(parse("HTTP/1.1 \(code) X\r\nTransfer-Encoding: chunked\r\n\r\n").last == .end)
    }

    @Test func interimResponsesAreSkipped() {
        let text =
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
            + "HTTP/1.1 201 Created\r\nContent-Length: 4\r\n\r\ndone"
        let expected: [ResponseEvent] = [
            .head(code: 201, reason: "Created", fields: ["Content-Length: 4"], keepAlive: true), .body("done"), .end,
        ]
        #expect(parse(text) == expected)
        #expect(parseByteByByte(text) == expected)
        // A malformed interim response is an error like any other.
        #expect(failure("HTTP/1.1 100 Continue\r\nbad line\r\n\r\n") == .invalidFieldLine)
    }

    @Test func switchingProtocolsEndsTheConnection() {
        #expect(
            parse("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n")
                == [.head(code: 101, reason: "Switching Protocols", fields: ["Upgrade: h2c"], keepAlive: false), .end]
        )
    }

    @Test func aChunkedBodyWithExtensionsAndTrailers() {
        let text =
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n6\r\n world\r\n"
            + "0\r\nX-Checksum: abc\r\nX-Other: d\r\n\r\n"
        let expected: [ResponseEvent] = [
            .head(code: 200, reason: "OK", fields: ["Transfer-Encoding: chunked"], keepAlive: true),
            .body("hello world"), .end,
        ]
        #expect(parse(text) == expected)
        #expect(parseByteByByte(text) == expected)
        // The chunk rules are the request parser's.
        #expect(failure("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n") == .invalidChunk)
        #expect(failure("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n") == .invalidChunk)
        #expect(
            failure("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nbad trailer\r\n\r\n") == .invalidChunk
        )
        let longTrailer = "X-T: " + String(repeating: "t", count: 200) + "\r\n"
        #expect(
            failure(
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n" + longTrailer + "\r\n",
                maxHeadSize: 128
            )
                == .headTooLarge
        )
    }

    @Test func aBodyWithoutLengthEndsWhenTheServerCloses() {
        var parser = HTTP1ResponseParser(maxHeadSize: 1024)
        var buffer = ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of ")
        #expect(
            drain(&parser, &buffer) == [
                .head(code: 200, reason: "OK", fields: ["Content-Type: text/plain"], keepAlive: false),
                .body("all of "),
            ]
        )
        buffer.writeString("it")
        #expect(drain(&parser, &buffer) == [.body("it")])
        let closedParser = parser.connectionClosed()
        #expect(closedParser)
    }

    @Test func aResponseCutShortIsNotComplete() {
        var parser = HTTP1ResponseParser(maxHeadSize: 1024)
        var buffer = ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort")
        _ = drain(&parser, &buffer)
        let closedParser = parser.connectionClosed()
        #expect(!closedParser)
        var chunked = HTTP1ResponseParser(maxHeadSize: 1024)
        buffer = ByteBuffer(string: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
        _ = drain(&chunked, &buffer)
        let closedChunked = chunked.connectionClosed()
        #expect(!closedChunked)
        var headless = HTTP1ResponseParser(maxHeadSize: 1024)
        buffer = ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-")
        _ = drain(&headless, &buffer)
        let closedHeadless = headless.connectionClosed()
        #expect(!closedHeadless)
    }

    @Test func keepAliveFollowsTheVersionAndConnection() {
        func keepAlive(_ text: String) -> Bool? {
            guard case .head(_, _, _, let keepAlive) = parse(text).first else { return nil }
            return keepAlive
        }
        #expect(keepAlive("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n") == true)
        #expect(keepAlive("HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 0\r\n\r\n") == false)
        #expect(keepAlive("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n") == false)
        #expect(keepAlive("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n") == true)
        #expect(keepAlive("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n\r\n") == false)  // ends at the close
    }

    @Test(arguments: [
        "HTTP/1.1 20 OK", "HTTP/1.1 2000 OK", "HTTP/1.1  200 OK", "HTTP/1.1 200OK", "HTTP/1.1 099 Low",
        "HTTP/1.1 600 High", "http/1.1 200 OK", "HTTP/1.1 2x0 OK", "HTTP/1.1 200 O\u{01}K", "HTTP/11 200 OK",
        "HTTP/1.1", "GET / HTTP/1.1", " HTTP/1.1 200 OK",
    ])
    func invalidStatusLinesAreRefused(line: String) {
        #expect(failure(line + "\r\nContent-Length: 0\r\n\r\n") == .invalidStatusLine)
    }

    @Test func anotherMajorVersionIsRefused() {
        #expect(failure("HTTP/2.0 200 OK\r\n\r\n") == .versionNotSupported)
    }

    @Test func anOversizedHeadIsRefusedHoweverItArrives() {
        let long = "HTTP/1.1 200 OK\r\nX-Long: " + String(repeating: "x", count: 300) + "\r\n\r\n"
        #expect(parse(long, maxHeadSize: 256) == [.failed(.headTooLarge)])
        #expect(parseByteByByte(long, maxHeadSize: 256) == [.failed(.headTooLarge)])
        let longStatus = "HTTP/1.1 200 " + String(repeating: "k", count: 300) + "\r\n\r\n"
        #expect(parse(longStatus, maxHeadSize: 256) == [.failed(.headTooLarge)])
    }

    @Test func framingConflictsAreRefused() {
        #expect(
            failure("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n")
                == .invalidTransferEncoding
        )
        #expect(
            failure("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n")
                == .invalidTransferEncoding
        )
        #expect(failure("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n") == .invalidContentLength)
        #expect(failure("HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\n\r\n") == .invalidContentLength)
        #expect(failure("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n") == .invalidContentLength)
        #expect(failure("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n") == .invalidTransferEncoding)
        #expect(failure("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n") == .unsupportedTransferEncoding)
        #expect(failure("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n") == .invalidTransferEncoding)
    }

    @Test func malformedLinesAreRefusedAndTheFailureSticks() {
        #expect(failure("HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n") == .invalidLineEnding)
        #expect(failure("HTTP/1.1 200 OK\r\nX-Folded: a\r\n b\r\n\r\n") == .invalidFieldLine)
        #expect(failure("HTTP/1.1 200 OK\r\nX-Bad : a\r\n\r\n") == .invalidFieldLine)
        #expect(failure("HTTP/1.1 200 OK\r\nX-Nul: a\u{0}b\r\n\r\n") == .invalidFieldLine)
        var parser = HTTP1ResponseParser(maxHeadSize: 1024)
        var buffer = ByteBuffer(string: "HTTP/1.1 2 OK\r\n\r\n")
        #expect(drain(&parser, &buffer) == [.failed(.invalidStatusLine)])
        buffer.writeString("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        #expect(drain(&parser, &buffer) == [.failed(.invalidStatusLine)])
        let closedParser = parser.connectionClosed()
        #expect(!closedParser)
    }
}

extension HTTP1ResponseParser.Event {
    fileprivate var isHead: Bool {
        if case .head = self { return true }
        return false
    }

    fileprivate var isEnd: Bool {
        if case .end = self { return true }
        return false
    }
}
