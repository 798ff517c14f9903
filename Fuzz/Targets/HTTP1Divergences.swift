#if GATEHOUSE_TESTABLE
    import Foundation

    /// A known, intended case where our HTTP/1.x parser accepts a request that NIOHTTP1 refuses.
    struct Divergence: Sendable {
        /// A short name, as in Fuzz/README.md.
        let name: String
        /// Why accepting it is right (or harmless) for us.
        let reason: String
        /// Whether the request (its raw bytes, which ours accepted) shows this case.
        let applies: @Sendable (RawRequest) -> Bool
    }

    /// The divergences the differential target found, each checked against the request's own bytes (Fuzz/README.md
    /// lists them with the opposite direction, where ours is the stricter).
    enum HTTP1Divergences {
        static let accepted: [Divergence] = [
            Divergence(
                name: "unknown method",
                reason:
                    "RFC 9110 §9.1: a method is any token; llhttp knows a fixed list and refuses the rest. We parse it "
                    + "and the router answers 405 or 404."
            ) { !llhttpMethods.contains($0.method) },
            Divergence(
                name: "minor version above 1",
                reason:
                    "RFC 9110 §2.5: a recipient treats HTTP/1.2 to HTTP/1.9 as the highest 1.x it speaks, and answers "
                    + "in HTTP/1.1; llhttp refuses every version but 0.9, 1.0, 1.1, 2.0 and 3.0."
            ) { $0.version.hasPrefix("HTTP/1.") && !["HTTP/1.0", "HTTP/1.1"].contains($0.version) },
            Divergence(
                name: "target characters outside RFC 3986",
                reason: "Clients leave some characters unencoded (`\"<>\\^`{|}`); the path is routed as written, never "
                    + "decoded, so they can only miss a route. llhttp refuses some of them."
            ) { $0.target.unicodeScalars.contains { !isURICharacter($0) } },
            Divergence(
                name: "chunk extensions",
                reason:
                    "RFC 9112 §7.1.1: a recipient ignores chunk extensions it does not understand; we check only that "
                    + "they are `;` then field content (no CR, LF or controls, so framing cannot shift) and drop them. "
                    + "llhttp parses them as tokens and quoted strings."
            ) { $0.chunkSizeLines.contains { line in line.contains { !$0.isHexDigit } } },
            Divergence(
                name: "framing fields in trailers",
                reason:
                    "RFC 9110 §6.5.1: trailer fields are never merged into the head; we check their syntax and drop "
                    + "them all, so a `Content-Length` or `Transfer-Encoding` there cannot change framing. llhttp "
                    + "interprets some of them and refuses the request."
            ) { raw in
                raw.trailerLines.contains { line in
                    let name = line.prefix { $0 != ":" }.lowercased()
                    return ["content-length", "transfer-encoding", "connection", "upgrade"].contains(name)
                }
            },
        ]

        /// `unreserved`, `sub-delims`, `%`, `:`, `@`, `[` and `]` (RFC 3986 §3.2).
        static func isAuthorityCharacter(_ scalar: Unicode.Scalar) -> Bool {
            isUnreservedOrSubDelimiter(scalar) || "%:@[]".unicodeScalars.contains(scalar)
        }

        /// The characters RFC 3986 allows in a URI reference.
        static func isURICharacter(_ scalar: Unicode.Scalar) -> Bool {
            isUnreservedOrSubDelimiter(scalar) || "%:@[]/?#".unicodeScalars.contains(scalar)
        }

        static func isUnreservedOrSubDelimiter(_ scalar: Unicode.Scalar) -> Bool {
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9": true
            default: "-._~!$&'()*+,;=".unicodeScalars.contains(scalar)
            }
        }

        /// llhttp's `HTTP_METHOD_MAP` (swift-nio's CNIOLLHTTP), the methods it parses in a request.
        static let llhttpMethods: Set<String> = [
            "DELETE", "GET", "HEAD", "POST", "PUT", "CONNECT", "OPTIONS", "TRACE", "COPY", "LOCK", "MKCOL", "MOVE",
            "PROPFIND", "PROPPATCH", "SEARCH", "UNLOCK", "BIND", "REBIND", "UNBIND", "ACL", "REPORT", "MKACTIVITY",
            "CHECKOUT", "MERGE", "M-SEARCH", "NOTIFY", "SUBSCRIBE", "UNSUBSCRIBE", "PATCH", "PURGE", "MKCALENDAR",
            "LINK", "UNLINK", "SOURCE", "QUERY",
        ]
    }

    /// The raw bytes of one request our parser accepted, split the way it split them (it checked the syntax already).
    struct RawRequest {
        let bytes: [UInt8]
        /// The request line's parts.
        let method: String
        let target: String
        let version: String
        /// The field lines, as written, without CRLF.
        let fieldLines: [String]
        /// What follows the head.
        let body: ArraySlice<UInt8>

        /// The chunk-size lines of a chunked body, as written (the body parsed as ours did).
        var chunkSizeLines: [String] { self.chunkedBody.sizeLines }

        /// The trailer field lines of a chunked body, as written.
        var trailerLines: [String] { self.chunkedBody.trailerLines }

        private var chunkedBody: (sizeLines: [String], trailerLines: [String]) {
            guard self.fieldLines.contains(where: { $0.lowercased().hasPrefix("transfer-encoding") }) else {
                return ([], [])
            }
            var sizeLines: [String] = []
            var trailerLines: [String] = []
            var index = self.body.startIndex
            var inTrailers = false
            while let end = self.body[index...].firstIndex(of: 0x0A), end > index {
                let line = String(decoding: self.body[index..<(end - 1)], as: UTF8.self)
                if inTrailers {
                    if line.isEmpty { break }
                    trailerLines.append(line)
                    index = end + 1
                    continue
                }
                sizeLines.append(line)
                let size = Int(line.prefix { $0.isHexDigit }, radix: 16) ?? 0
                if size == 0 {
                    inTrailers = true
                    index = end + 1
                    continue
                }
                guard end + 1 + size + 2 <= self.body.endIndex else { break }
                index = end + 1 + size + 2
            }
            return (sizeLines, trailerLines)
        }

        /// The authority of an absolute-form target (`https://authority/path`), or `nil`.
        var absoluteFormAuthority: Substring? {
            guard !self.target.hasPrefix("/"), let range = self.target.range(of: "://") else { return nil }
            let rest = self.target[range.upperBound...]
            return rest[..<(rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex)]
        }

        init(_ raw: UnsafeRawBufferPointer) {
            var bytes = Array(raw)
            // Empty lines before the request line are skipped (RFC 9112 §2.2), by both parsers.
            while bytes.starts(with: [0x0D, 0x0A]) { bytes.removeFirst(2) }
            self.bytes = bytes
            var lines: [String] = []
            var start = 0
            var headEnd = bytes.count
            var index = 0
            while index + 1 < bytes.count {
                if bytes[index] == 0x0D && bytes[index + 1] == 0x0A {
                    if index == start {
                        headEnd = index + 2
                        break
                    }
                    lines.append(String(decoding: bytes[start..<index], as: UTF8.self))
                    start = index + 2
                    index += 2
                } else {
                    index += 1
                }
            }
            let requestLine = (lines.first ?? "").split(separator: " ", omittingEmptySubsequences: false).map(
                String.init
            )
            self.method = requestLine.first ?? ""
            self.target = requestLine.count > 1 ? requestLine[1] : ""
            self.version = requestLine.count > 2 ? requestLine[2] : ""
            self.fieldLines = Array(lines.dropFirst())
            self.body = bytes[min(headEnd, bytes.count)...]
        }
    }
#endif
