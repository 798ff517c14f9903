import HTTPTypes

/// Parses one complete HTTP/1.x request head (RFC 9112 §2–§6) straight into an ``HTTP1RequestHead``: the request
/// line, then each field line into `HTTPFields`, with no intermediate header list.
///
/// Strict on purpose, because a lenient parser behind a lenient proxy is how requests get smuggled: one SP between
/// the parts of the request line, CRLF line endings only, no whitespace before a field's colon, no obs-fold, no
/// control characters in values, one `Content-Length` of plain digits, never together with `Transfer-Encoding`,
/// and `chunked` as the only and final transfer coding.
struct HTTP1HeadParser {
    let bytes: UnsafeRawBufferPointer
    private var index = 0

    /// What the field lines said about the connection and the framing.
    struct ConnectionFields {
        var hostCount = 0
        var host: String?
        /// The authority of the connection's previous request, which a `Host` field that repeats it need not be
        /// validated against again (``HTTP1RequestReuse``).
        var knownAuthority: String?
        /// The `Host` field repeats `knownAuthority` (and `host` was not built).
        var isHostKnown = false
        var contentLength: Int?
        var hasTransferEncoding = false
        var chunkedCount = 0
        var isLastCodingChunked = false
        var hasOtherCodings = false
        var closes = false
        var keepsAlive = false
        var upgrades = false
        var hasExpect = false
        /// Whether every `Expect` element is `100-continue` (and there is at least one).
        var expectsOnlyContinue = true
        var expectationCount = 0
        /// Field names listed in `Connection` other than `close`, `keep-alive` and `upgrade`: removed too.
        var listedNames: [String] = []
    }

    /// Parses `bytes`: a whole head, from the request line to the empty line that ends it (inclusive). The caller
    /// has checked that every LF in it follows a CR. The request is built from the connection's previous one,
    /// `reuse`, when it names the same `Host`.
    static func parse(
        _ bytes: UnsafeRawBufferPointer,
        reusing reuse: inout HTTP1RequestReuse
    ) throws(HTTP1ParseError) -> HTTP1RequestHead {
        var parser = HTTP1HeadParser(bytes: bytes)
        return try parser.parseHead(reusing: &reuse)
    }

    init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    private mutating func parseHead(reusing reuse: inout HTTP1RequestReuse) throws(HTTP1ParseError) -> HTTP1RequestHead
    {
        let (method, targetRange, version) = try self.parseRequestLine()
        // A target that repeats the previous request's path is not built again.
        let keptPath = reuse.keptPath(ifSameAs: self.bytes, targetRange)
        let target = keptPath ?? self.string(targetRange)
        var connection = ConnectionFields()
        connection.knownAuthority = reuse.authority
        var fields = HTTPFields()
        while let line = self.nextLine(), !line.isEmpty {
            try self.parseFieldLine(line, into: &fields, connection: &connection, version: version)
        }
        let framing = try Self.framing(connection, version: version)
        for name in connection.listedNames {
            if let fieldName = HTTPField.Name(name) { fields[fieldName] = nil }
        }
        let (targetAuthority, path) = try Self.split(target: target, method: method)
        // RFC 9112 §3.2: exactly one Host on HTTP/1.1 (also beside an absolute-form target), at most one on 1.0.
        guard connection.hostCount == 1 || (connection.hostCount == 0 && version == .http1_0) else {
            throw .invalidHost
        }
        let request: HTTPRequest
        if targetAuthority == nil && connection.isHostKnown {
            request = reuse.request(method: method, path: path, isKeptPath: keptPath != nil, fields: fields)
        } else {
            request = HTTPRequest(
                method: method,
                scheme: "https",
                authority: targetAuthority ?? connection.host,
                path: path,
                headerFields: fields
            )
            if targetAuthority == nil, let host = connection.host {
                reuse.keep(request, authority: host, method: method)
            }
        }
        return HTTP1RequestHead(
            request: request,
            version: version,
            framing: framing,
            keepAlive: !connection.closes && (version == .http1_1 || connection.keepsAlive),
            asksToUpgrade: connection.upgrades || method == .connect,
            expectation: Self.expectation(connection, version: version),
            isHeadRequest: method == .head
        )
    }

    /// The next line without its CRLF, or `nil` at the end of the bytes.
    mutating func nextLine() -> Range<Int>? {
        let start = self.index
        guard let end = HTTP1Syntax.firstLF(in: self.bytes, from: start, to: self.bytes.count) else { return nil }
        self.index = end + 1
        return start..<(end - 1)  // the caller checked that a CR precedes the LF
    }

    // MARK: Request line

    /// The method, the target's byte range and the version.
    private mutating func parseRequestLine() throws(HTTP1ParseError) -> (HTTPRequest.Method, Range<Int>, HTTP1Version) {
        guard let line = self.nextLine() else { throw .invalidRequestLine }
        var cursor = line.lowerBound
        while cursor < line.upperBound && HTTP1Syntax.isToken(self.bytes[cursor]) { cursor += 1 }
        let methodRange = line.lowerBound..<cursor
        guard !methodRange.isEmpty, cursor < line.upperBound, self.bytes[cursor] == HTTP1Syntax.space else {
            throw .invalidRequestLine
        }
        cursor += 1
        let targetStart = cursor
        while cursor < line.upperBound && HTTP1Syntax.isTargetCharacter(self.bytes[cursor]) { cursor += 1 }
        let targetRange = targetStart..<cursor
        guard !targetRange.isEmpty, cursor < line.upperBound, self.bytes[cursor] == HTTP1Syntax.space else {
            throw .invalidRequestLine
        }
        let version = try self.parseVersion((cursor + 1)..<line.upperBound)
        return (try self.method(methodRange), targetRange, version)
    }

    /// `HTTP/` DIGIT `.` DIGIT, case-sensitive (RFC 9112 §2.3).
    func parseVersion(_ range: Range<Int>) throws(HTTP1ParseError) -> HTTP1Version {
        guard range.count == 8 else { throw .invalidRequestLine }
        let base = range.lowerBound
        let prefix: StaticString = "HTTP/"
        for offset in 0..<5 where self.bytes[base + offset] != prefix.utf8Start[offset] {
            throw .invalidRequestLine
        }
        let major = self.bytes[base + 5]
        let minor = self.bytes[base + 7]
        let digits = UInt8(ascii: "0")...UInt8(ascii: "9")
        guard digits.contains(major), self.bytes[base + 6] == UInt8(ascii: "."), digits.contains(minor) else {
            throw .invalidRequestLine
        }
        guard major == UInt8(ascii: "1") else { throw .versionNotSupported }
        return minor == UInt8(ascii: "0") ? .http1_0 : .http1_1
    }

    /// The method, without building a string for the common ones.
    private func method(_ range: Range<Int>) throws(HTTP1ParseError) -> HTTPRequest.Method {
        switch range.count {
        case 3 where self.matches(range, exactly: "GET"): return .get
        case 3 where self.matches(range, exactly: "PUT"): return .put
        case 4 where self.matches(range, exactly: "POST"): return .post
        case 4 where self.matches(range, exactly: "HEAD"): return .head
        case 6 where self.matches(range, exactly: "DELETE"): return .delete
        default: break
        }
        // Already checked to be a token, which is what `Method` requires.
        guard let method = HTTPRequest.Method(self.string(range)) else { throw .invalidRequestLine }
        return method
    }

    private func matches(_ range: Range<Int>, exactly text: StaticString) -> Bool {
        guard range.count == text.utf8CodeUnitCount else { return false }
        for offset in 0..<range.count where self.bytes[range.lowerBound + offset] != text.utf8Start[offset] {
            return false
        }
        return true
    }

    func string(_ range: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: self.bytes[range]), as: UTF8.self)
    }

    // MARK: Field lines

    /// Checks one field line and splits it into its name and its value without surrounding whitespace.
    static func splitFieldLine(
        _ bytes: UnsafeRawBufferPointer,
        _ line: Range<Int>
    ) throws(HTTP1ParseError) -> (name: Range<Int>, value: Range<Int>) {
        var cursor = line.lowerBound
        // A line starting with whitespace is obs-fold (or whitespace before the first field): refused.
        while cursor < line.upperBound && HTTP1Syntax.isToken(bytes[cursor]) { cursor += 1 }
        let name = line.lowerBound..<cursor
        guard !name.isEmpty, cursor < line.upperBound, bytes[cursor] == HTTP1Syntax.colon else {
            throw .invalidFieldLine
        }
        for valueIndex in (cursor + 1)..<line.upperBound where !HTTP1Syntax.isFieldContent(bytes[valueIndex]) {
            throw .invalidFieldLine  // a bare CR, NUL, DEL or another control character
        }
        return (name, HTTP1Syntax.trimmingWhitespace(bytes, (cursor + 1)..<line.upperBound))
    }

    private mutating func parseFieldLine(
        _ line: Range<Int>,
        into fields: inout HTTPFields,
        connection: inout ConnectionFields,
        version: HTTP1Version
    ) throws(HTTP1ParseError) {
        let (name, value) = try Self.splitFieldLine(self.bytes, line)
        if try self.recordConnectionField(name: name, value: value, into: &connection) { return }
        guard let fieldName = HTTPField.Name(self.string(name)) else { throw .invalidFieldLine }
        fields.append(HTTPField(name: fieldName, value: self.string(value)))
    }
}
