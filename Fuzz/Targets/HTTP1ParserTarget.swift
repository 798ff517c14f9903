#if GATEHOUSE_TESTABLE
    import HTTPTypes
    import NIOCore

    @testable import GatehouseTransport

    /// Request bytes through ``HTTP1RequestParser`` three ways — in one piece, one byte at a time, and in pieces whose
    /// sizes follow from the bytes — which must give the same events; and through ``HTTP1RequestMachine`` the way
    /// ``HTTP1ServerHandler`` drives it, which must never see an event out of order.
    ///
    /// Small limits, so that fuzzed inputs reach them.
    enum HTTP1ParserTarget {
        static let maxHeadSize = 512
        static let maxBodySize = 256

        static func run(_ input: UnsafeRawBufferPointer) {
            let whole = InputSplits.sameEvents(input) { Self.events(input, pieceSizes: $0) }
            Self.drive(whole)
        }

        /// What the parser returns for `input` delivered in pieces of the sizes `pieceSizes` gives, adjacent body
        /// pieces merged (how the bytes arrive may split a body differently, never change it).
        static func events(_ input: UnsafeRawBufferPointer, pieceSizes: (Int) -> Int) -> [ParserEvent] {
            var parser = HTTP1RequestParser(maxHeadSize: Self.maxHeadSize)
            var events: [ParserEvent] = []
            _ = InputSplits.feed(input, pieceSizes: pieceSizes) { buffer in
                Self.drain(&parser, &buffer, into: &events)
            }
            return events
        }

        /// Collects events until the parser needs more bytes; returns `true` when it failed.
        private static func drain(
            _ parser: inout HTTP1RequestParser,
            _ buffer: inout ByteBuffer,
            into events: inout [ParserEvent]
        ) -> Bool {
            while true {
                let event = parser.next(from: &buffer)
                switch event {
                case .needMoreData:
                    return false
                case .head(let head):
                    events.append(.head(ParsedHead(head)))
                case .request(let head):
                    events.append(.request(ParsedHead(head)))
                case .body(let chunk):
                    precondition(chunk.readableBytes > 0, "an empty body event")
                    if case .body(let previous) = events.last {
                        events[events.count - 1] = .body(previous + Array(chunk.readableBytesView))
                    } else {
                        events.append(.body(Array(chunk.readableBytesView)))
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

        /// Plays the events to the request machine as the handler does, answering each dispatched request at once.
        static func drive(_ events: [ParserEvent]) {
            var machine = HTTP1RequestMachine(maxBodySize: Self.maxBodySize)
            for event in events {
                precondition(machine.isReadingRequests, "an event after the connection stopped reading: \(event)")
                let action: HTTP1RequestMachine.Action
                switch event {
                case .head(let head): action = machine.receivedHead(head.head)
                case .request(let head): action = machine.receivedRequest(head.head)
                case .body(let bytes): action = machine.receivedBody(ByteBuffer(bytes: bytes))
                case .end: action = machine.receivedEnd()
                case .failed(let error): action = machine.parseFailed(error)
                }
                switch action {
                case .none, .sendContinue:
                    continue
                case .dispatch(_, let stream):
                    guard case .write(_, let plan) = machine.responseReady(.text("ok"), for: stream) else {
                        preconditionFailure("the dispatched stream's response was dropped")
                    }
                    if !plan.keepAlive { return }
                case .reject, .refuseBody:
                    precondition(machine.isClosing, "a rejection that keeps the connection open")
                    return
                case .close:
                    preconditionFailure("the machine closed without answering on \(event): events out of order")
                case .dispatchStreamed, .streamBody, .endStreamedBody:
                    preconditionFailure("a streamed body without a streaming route on \(event)")
                }
            }
        }
    }

    /// A parser event reduced to comparable values.
    enum ParserEvent: Equatable, CustomStringConvertible {
        case head(ParsedHead)
        case request(ParsedHead)
        case body([UInt8])
        case end
        case failed(HTTP1ParseError)

        var description: String {
            switch self {
            case .head(let head): "head(\(head))"
            case .request(let head): "request(\(head))"
            case .body(let bytes): "body(\(bytes.count) bytes)"
            case .end: "end"
            case .failed(let error): "failed(\(error))"
            }
        }
    }

    /// An ``HTTP1RequestHead`` with the equality the comparisons need.
    struct ParsedHead: Equatable, CustomStringConvertible {
        let head: HTTP1RequestHead

        init(_ head: HTTP1RequestHead) { self.head = head }

        static func == (lhs: ParsedHead, rhs: ParsedHead) -> Bool {
            let (a, b) = (lhs.head, rhs.head)
            return a.request == b.request
                && a.request.headerFields.elementsEqual(b.request.headerFields) {
                    $0.name.rawName == $1.name.rawName && $0.value == $1.value
                } && a.version == b.version && a.framing == b.framing && a.keepAlive == b.keepAlive
                && a.asksToUpgrade == b.asksToUpgrade && a.expectation == b.expectation
                && a.isHeadRequest == b.isHeadRequest
        }

        var description: String {
            "\(self.head.request.method) \(self.head.request.authority ?? "-") \(self.head.request.path ?? "-") "
                + "\(self.head.version) \(self.head.framing)"
        }
    }
#endif
