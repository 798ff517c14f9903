import GatehouseTransport
import HTTPTypes
import NIOCore

/// Response bytes, as a server (or an upstream) sends them to our client, through ``HTTP1ResponseParser`` three ways —
/// in one piece, one byte at a time, and in pieces whose sizes follow from the bytes — which must give the same
/// events; once as the response to `GET` and once as the response to `HEAD`.
///
/// Beyond "no crash": the events follow the response grammar (a head, body pieces, an end; interim responses never
/// surface); a response to `HEAD` has no body; a `Content-Length` body is exactly that long; a body piece is never
/// empty; a failed parser keeps failing; and whether the server's close completes the last response does not depend on
/// how the bytes were split. A small head limit, so that fuzzed inputs reach it.
enum HTTP1ResponseTarget {
    static let maxHeadSize = 512

    static func run(_ input: UnsafeRawBufferPointer) {
        for toHead in [false, true] {
            let whole = InputSplits.sameEvents(input) { Self.events(input, toHead: toHead, pieceSizes: $0) }
            Self.checkGrammar(whole, toHead: toHead)
        }
    }

    /// What the parser returns for `input` delivered in pieces of the sizes `pieceSizes` gives, adjacent body pieces
    /// merged, then what the server's close means for the response in progress.
    static func events(
        _ input: UnsafeRawBufferPointer,
        toHead: Bool,
        pieceSizes: (Int) -> Int
    ) -> [ResponseEvent] {
        var parser = HTTP1ResponseParser(maxHeadSize: Self.maxHeadSize)
        parser.expectResponse(toHead: toHead)
        var events: [ResponseEvent] = []
        let failed = InputSplits.feed(input, pieceSizes: pieceSizes) { buffer in
            Self.drain(&parser, &buffer, toHead: toHead, into: &events)
        }
        if failed { return events }
        events.append(.closed(completesResponse: parser.connectionClosed()))
        return events
    }

    /// Collects events until the parser needs more bytes; returns `true` when it failed.
    private static func drain(
        _ parser: inout HTTP1ResponseParser,
        _ buffer: inout ByteBuffer,
        toHead: Bool,
        into events: inout [ResponseEvent]
    ) -> Bool {
        while true {
            switch parser.next(from: &buffer) {
            case .needMoreData:
                return false
            case .head(let head):
                events.append(.head(ParsedResponseHead(head)))
                // Each response answers a request of the same method here.
                parser.expectResponse(toHead: toHead)
            case .body(let piece):
                precondition(piece.readableBytes > 0, "an empty body event")
                if case .body(let previous) = events.last {
                    events[events.count - 1] = .body(previous + Array(piece.readableBytesView))
                } else {
                    events.append(.body(Array(piece.readableBytesView)))
                }
            case .end:
                events.append(.end)
            case .failed(let error):
                events.append(.failed(error))
                guard case .failed(error) = parser.next(from: &buffer) else {
                    preconditionFailure("a failed parser must keep failing")
                }
                return true
            }
        }
    }

    /// Checks that `events` read as responses: head, body pieces, end, and so on; then at most one failure or the close.
    static func checkGrammar(_ events: [ResponseEvent], toHead: Bool) {
        var open: ParsedResponseHead? = nil
        var bodyLength = 0
        for (index, event) in events.enumerated() {
            switch event {
            case .head(let head):
                precondition(open == nil, "a head inside a response: \(events)")
                precondition(head.code >= 200 || head.code == 101, "an interim response surfaced: \(head)")
                open = head
                bodyLength = 0
            case .body(let bytes):
                precondition(open != nil, "a body without a head: \(events)")
                precondition(!toHead, "a body in the response to HEAD: \(events)")
                bodyLength += bytes.count
            case .end:
                guard let head = open else { preconditionFailure("an end without a head: \(events)") }
                if !toHead, case .length(let length) = head.framing {
                    precondition(bodyLength == length, "a \(length)-byte body ended after \(bodyLength): \(events)")
                }
                open = nil
            case .failed, .closed:
                precondition(index == events.count - 1, "an event after the last: \(events)")
                if case .closed(true) = event {
                    precondition(open != nil, "the close completed a response that was not open: \(events)")
                }
            }
        }
    }

    /// A parser event reduced to comparable values.
    enum ResponseEvent: Equatable, CustomStringConvertible {
        case head(ParsedResponseHead)
        case body([UInt8])
        case end
        case failed(HTTP1ParseError)
        /// The input ended and the server closed: whether that completed the response in progress.
        case closed(completesResponse: Bool)

        var description: String {
            switch self {
            case .head(let head): "head(\(head))"
            case .body(let bytes): "body(\(bytes.count) bytes)"
            case .end: "end"
            case .failed(let error): "failed(\(error))"
            case .closed(let completes): "closed(completes: \(completes))"
            }
        }
    }

    /// An ``HTTP1ResponseHead`` with the equality the comparisons need.
    struct ParsedResponseHead: Equatable, CustomStringConvertible {
        let code: Int
        let reason: String
        let fields: [String]
        let keepAlive: Bool
        let framing: Framing

        /// How the body is delimited, as far as the grammar check needs it.
        enum Framing: Equatable {
            case length(Int)
            case other
        }

        init(_ head: HTTP1ResponseHead) {
            self.code = head.response.status.code
            self.reason = head.response.status.reasonPhrase
            self.fields = head.response.headerFields.map { "\($0.name.rawName): \($0.value)" }
            self.keepAlive = head.keepAlive
            // RFC 9112 §6.3: 204 and 304 have no body whatever `Content-Length` says (1xx never reach here).
            let lengths = head.response.headerFields[values: .contentLength]
            let chunked = head.response.headerFields[.transferEncoding] != nil
            let hasBody = self.code != 204 && self.code != 304 && self.code != 101
            self.framing =
                hasBody && !chunked && lengths.count == 1 ? Int(lengths[0]).map(Framing.length) ?? .other : .other
        }

        var description: String { "\(self.code) \(self.reason) \(self.fields.count) fields \(self.framing)" }
    }
}
