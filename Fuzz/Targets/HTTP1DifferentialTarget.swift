#if GATEHOUSE_TESTABLE
    import HTTPTypes
    import NIOCore
    import NIOEmbedded
    import NIOHTTP1

    @testable import GatehouseTransport

    /// The same bytes to our HTTP/1.x parser and to NIOHTTP1's (`ByteToMessageHandler(HTTPRequestDecoder())`, llhttp),
    /// compared request by request, up to the request after which our server closes the connection.
    ///
    /// A request both accept must have the same method, target, fields and body. A request ours accepts and NIOHTTP1
    /// refuses (or does not finish) must match a ``Divergence`` from ``HTTP1Divergences/accepted``, a written, named
    /// reason; anything else traps. What NIOHTTP1 accepts and ours refuses is ours being stricter, by design.
    enum HTTP1DifferentialTarget {
        static func run(_ input: UnsafeRawBufferPointer) {
            let ours = OurRequests(input)
            let theirs = TheirRequests(input)
            for (index, request) in ours.requests.enumerated() {
                guard index < theirs.requests.count else {
                    let raw = UnsafeRawBufferPointer(rebasing: input[request.range])
                    guard HTTP1Divergences.accepted.contains(where: { $0.applies(RawRequest(raw)) }) else {
                        preconditionFailure(
                            "ours accepts request \(index) (\(request.head)), NIOHTTP1 "
                                + (theirs.error.map { "refuses it: \($0)" } ?? "does not finish it")
                                + " — add a named Divergence if this is by design: \(Array(raw))"
                        )
                    }
                    return
                }
                let mismatch = request.mismatch(theirs.requests[index])
                precondition(mismatch == nil, "request \(index) differs: \(mismatch ?? "")")
            }
        }
    }

    /// The requests our parser accepts, in order, each with the range of input bytes it came from; up to the first that
    /// closes the connection (`Connection: close`, HTTP/1.0 without keep-alive, an upgrade), a failure, or the end of
    /// the bytes.
    struct OurRequests {
        struct Accepted {
            var head: ParsedHead
            var body: [UInt8] = []
            var range: Range<Int>

            /// How the request NIOHTTP1 parsed differs from this one, or `nil`.
            func mismatch(_ theirs: TheirRequests.Parsed) -> String? {
                let request = self.head.head.request
                if request.method.rawValue != theirs.head.method.rawValue {
                    return "method \(request.method.rawValue) / \(theirs.head.method.rawValue)"
                }
                if (self.head.head.version == .http1_0) != (theirs.head.version.minor == 0) {
                    return "version \(self.head.head.version) / \(theirs.head.version)"
                }
                let connection = theirs.connectionFields
                guard connection.hosts.count <= 1,
                    let (authority, path) = try? HTTP1HeadParser.split(target: theirs.head.uri, method: request.method)
                else { return "target \(theirs.head.uri), hosts \(connection.hosts)" }
                if request.path != path || request.authority != (authority ?? connection.hosts.first) {
                    return
                        "target \(request.authority ?? "-") \(request.path ?? "-") / \(theirs.head.uri) \(connection.hosts)"
                }
                let ourFields = request.headerFields.map { [$0.name.rawName, $0.value] }
                if ourFields != connection.endToEnd {
                    return "fields \(ourFields) / \(connection.endToEnd)"
                }
                if self.head.head.asksToUpgrade { return nil }  // NIOHTTP1 hands the bytes after an upgrade's head on
                if self.body != theirs.body { return "body \(self.body.count) bytes / \(theirs.body.count) bytes" }
                return nil
            }
        }

        private(set) var requests: [Accepted] = []

        init(_ input: UnsafeRawBufferPointer) {
            var parser = HTTP1RequestParser(maxHeadSize: 4096)
            var buffer = ByteBuffer(bytes: input)
            var current: Accepted?
            var start = 0
            while true {
                switch parser.next(from: &buffer) {
                case .needMoreData, .failed:
                    return
                case .head(let head):
                    current = Accepted(head: ParsedHead(head), range: start..<start)
                case .request(let head):
                    current = Accepted(head: ParsedHead(head), range: start..<start)
                    guard self.finish(&current, at: buffer.readerIndex, start: &start) else { return }
                case .body(let chunk):
                    current?.body += Array(chunk.readableBytesView)
                case .end:
                    guard self.finish(&current, at: buffer.readerIndex, start: &start) else { return }
                }
            }
        }

        /// Records the current request; returns whether the connection would read another.
        private mutating func finish(_ current: inout Accepted?, at end: Int, start: inout Int) -> Bool {
            guard var request = current else { return false }
            request.range = start..<end
            start = end
            current = nil
            self.requests.append(request)
            return request.head.head.keepAlive && !request.head.head.asksToUpgrade
        }
    }

    /// The requests NIOHTTP1's decoder produces for the same bytes, and the error it stopped at.
    struct TheirRequests {
        struct Parsed {
            var head: HTTPRequestHead
            var body: [UInt8] = []

            /// Host values, and the fields other than the connection-level ones our parser removes (`Host`,
            /// `Connection` and the names it lists, `Transfer-Encoding`, `Expect`, `Upgrade`, `Keep-Alive`,
            /// `Proxy-Connection`), in order. Values lose their trailing whitespace, which NIOHTTP1 keeps and RFC 9112
            /// §5 says is not part of the value (Fuzz/README.md, difference "trailing whitespace").
            var connectionFields: (hosts: [String], endToEnd: [[String]]) {
                var listed: Set<String> = []
                for value in self.head.headers["connection"] {
                    for token in value.split(separator: ",") {
                        let name = token.trimmingSpacesAndTabs.lowercased()
                        if !["", "close", "keep-alive", "upgrade"].contains(name) { listed.insert(name) }
                    }
                }
                let removed: Set<String> = [
                    "host", "connection", "transfer-encoding", "expect", "upgrade", "keep-alive", "proxy-connection",
                ]
                var hosts: [String] = []
                var endToEnd: [[String]] = []
                for (name, untrimmed) in self.head.headers {
                    let value = String(untrimmed[...].trimmingSpacesAndTabs)
                    let lowercased = name.lowercased()
                    if lowercased == "host" { hosts.append(value) }
                    if !removed.contains(lowercased) && !listed.contains(lowercased) { endToEnd.append([name, value]) }
                }
                return (hosts, endToEnd)
            }
        }

        private(set) var requests: [Parsed] = []
        private(set) var error: (any Error)?

        init(_ input: UnsafeRawBufferPointer) {
            let channel = EmbeddedChannel(
                handler: ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes))
            )
            defer { _ = try? channel.finish() }
            do {
                try channel.writeInbound(ByteBuffer(bytes: input))
            } catch {
                self.error = error
            }
            var current: Parsed?
            while let part = try? channel.readInbound(as: HTTPServerRequestPart.self) {
                switch part {
                case .head(let head): current = Parsed(head: head)
                case .body(let chunk): current?.body += Array(chunk.readableBytesView)
                case .end:
                    if let request = current { self.requests.append(request) }
                    current = nil
                }
            }
            // An upgrade's head counts as a request: NIOHTTP1 stops at it and hands on the bytes that follow.
            if let current, current.head.isUpgradeRequest { self.requests.append(current) }
        }
    }

    extension HTTPRequestHead {
        fileprivate var isUpgradeRequest: Bool {
            self.method == .CONNECT
                || self.headers["connection"].contains { $0.lowercased().contains("upgrade") }
        }
    }

    extension Substring {
        fileprivate var trimmingSpacesAndTabs: Substring {
            var text = self
            while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
            while let last = text.last, last == " " || last == "\t" { text.removeLast() }
            return text
        }
    }
#endif
