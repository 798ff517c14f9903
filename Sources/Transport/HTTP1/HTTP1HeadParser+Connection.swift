import HTTPTypes

extension HTTP1HeadParser {
    /// Notes what a connection-level field says. Returns `true` for fields that describe the HTTP/1.x hop rather
    /// than the request (HTTP/2 forbids them, so the shared pipeline never sees them); `Content-Length` is noted
    /// and kept.
    mutating func recordConnectionField(
        name: Range<Int>,
        value: Range<Int>,
        into connection: inout ConnectionFields
    ) throws(HTTP1ParseError) -> Bool {
        let bytes = self.bytes
        switch name.count {
        case 4 where HTTP1Syntax.equalsIgnoringCase(bytes, name, "host"):
            connection.hostCount += 1
            // The previous request's authority, validated then.
            if connection.hostCount == 1, let known = connection.knownAuthority,
                HTTP1RequestReuse.isSame(known, as: bytes, value)
            {
                connection.isHostKnown = true
                return true
            }
            // RFC 9112 §3.2: an invalid Host is answered 400, whatever the target.
            guard HostValidation.isValidAuthority(UnsafeRawBufferPointer(rebasing: bytes[value])) else {
                throw .invalidHost
            }
            connection.isHostKnown = false
            connection.host = self.string(value)
            return true
        case 6 where HTTP1Syntax.equalsIgnoringCase(bytes, name, "expect"):
            connection.hasExpect = true
            try HTTP1Syntax.forEachListElement(bytes, value) { element throws(HTTP1ParseError) in
                if element.isEmpty { return }
                connection.expectationCount += 1
                if !HTTP1Syntax.equalsIgnoringCase(bytes, element, "100-continue") {
                    connection.expectsOnlyContinue = false
                }
            }
            return true
        case 7 where HTTP1Syntax.equalsIgnoringCase(bytes, name, "upgrade"):
            return true
        case 10 where HTTP1Syntax.equalsIgnoringCase(bytes, name, "connection"):
            try self.recordConnectionTokens(value, into: &connection)
            return true
        case 10 where HTTP1Syntax.equalsIgnoringCase(bytes, name, "keep-alive"):
            return true
        case 14 where HTTP1Syntax.equalsIgnoringCase(bytes, name, "content-length"):
            // One field, one value: a repeated field or a list ("5, 5") is refused rather than merged.
            guard connection.contentLength == nil, let length = Self.decimal(bytes, value) else {
                throw .invalidContentLength
            }
            connection.contentLength = length
            return false
        case 16 where HTTP1Syntax.equalsIgnoringCase(bytes, name, "proxy-connection"):
            return true
        case 17 where HTTP1Syntax.equalsIgnoringCase(bytes, name, "transfer-encoding"):
            try Self.recordTransferCodings(bytes, value, into: &connection)
            return true
        default:
            return false
        }
    }

    /// Notes the codings a `Transfer-Encoding` field lists.
    static func recordTransferCodings(
        _ bytes: UnsafeRawBufferPointer,
        _ value: Range<Int>,
        into connection: inout ConnectionFields
    ) throws(HTTP1ParseError) {
        connection.hasTransferEncoding = true
        try HTTP1Syntax.forEachListElement(bytes, value) { coding throws(HTTP1ParseError) in
            // Empty elements are legal list syntax, but not in the field that frames the body.
            guard !coding.isEmpty else { throw .invalidTransferEncoding }
            connection.isLastCodingChunked = HTTP1Syntax.equalsIgnoringCase(bytes, coding, "chunked")
            if connection.isLastCodingChunked {
                connection.chunkedCount += 1
            } else {
                connection.hasOtherCodings = true
            }
        }
    }

    func recordConnectionTokens(
        _ value: Range<Int>,
        into connection: inout ConnectionFields
    ) throws(HTTP1ParseError) {
        let bytes = self.bytes
        try HTTP1Syntax.forEachListElement(bytes, value) { token throws(HTTP1ParseError) in
            if token.isEmpty { return }
            if HTTP1Syntax.equalsIgnoringCase(bytes, token, "close") {
                connection.closes = true
            } else if HTTP1Syntax.equalsIgnoringCase(bytes, token, "keep-alive") {
                connection.keepsAlive = true
            } else if HTTP1Syntax.equalsIgnoringCase(bytes, token, "upgrade") {
                connection.upgrades = true
            } else {
                connection.listedNames.append(self.string(token).lowercased())
            }
        }
    }

    /// `1*DIGIT` that fits an `Int`; `nil` for anything else (signs, spaces, lists, overflow).
    static func decimal(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int? {
        guard !range.isEmpty, range.count <= 18 else { return nil }  // 18 digits cannot overflow
        var result = 0
        for index in range {
            let byte = bytes[index]
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
            result = result * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return result
    }

    /// RFC 9112 §6.1–§6.3: `chunked` must be the last and only coding, HTTP/1.0 has no transfer codings, and a
    /// request with both `Transfer-Encoding` and `Content-Length` is refused, not guessed at.
    static func framing(_ connection: ConnectionFields, version: HTTP1Version) throws(HTTP1ParseError) -> HTTP1Framing {
        guard connection.hasTransferEncoding else {
            return connection.contentLength.map { .length($0) } ?? .none
        }
        guard connection.contentLength == nil, version == .http1_1 else { throw .invalidTransferEncoding }
        guard connection.isLastCodingChunked, connection.chunkedCount == 1 else { throw .invalidTransferEncoding }
        guard !connection.hasOtherCodings else { throw .unsupportedTransferEncoding }
        return .chunked
    }

    /// RFC 9110 §10.1.1: only `100-continue` is defined; an HTTP/1.0 client's `Expect` is ignored.
    static func expectation(_ connection: ConnectionFields, version: HTTP1Version) -> HTTP1Expectation {
        guard connection.hasExpect, version == .http1_1 else { return .none }
        return connection.expectsOnlyContinue && connection.expectationCount > 0 ? .continue : .unsupported
    }
}
