import HTTPTypes

extension HTTP1HeadParser {
    /// Parses one complete HTTP/1.x response head, from the status line to the empty line that ends it (inclusive),
    /// with the same line and field rules as a request head. The caller has checked that every LF follows a CR.
    ///
    /// Every field is kept in the response (the client shows what the server sent); `Content-Length`,
    /// `Transfer-Encoding` and `Connection` also decide the framing, by RFC 9112 §6.3: no body for a response to
    /// `HEAD` or with a 1xx, 204 or 304 status; otherwise `chunked` as the only and final coding, or one
    /// `Content-Length`, or the body runs until the server closes. Both `Content-Length` and `Transfer-Encoding`
    /// are refused, as in a request: such a response may be an attempt at response splitting.
    static func parseResponse(
        _ bytes: UnsafeRawBufferPointer,
        toHead: Bool
    ) throws(HTTP1ParseError) -> (HTTP1ResponseHead, HTTP1ResponseFraming) {
        var parser = HTTP1HeadParser(bytes: bytes)
        let (status, version) = try parser.parseStatusLine()
        var connection = ConnectionFields()
        var fields = HTTPFields()
        while let line = parser.nextLine(), !line.isEmpty {
            let (name, value) = try Self.splitFieldLine(bytes, line)
            try parser.recordFramingField(name: name, value: value, into: &connection)
            guard let fieldName = HTTPField.Name(parser.string(name)) else { throw .invalidFieldLine }
            fields.append(HTTPField(name: fieldName, value: parser.string(value)))
        }
        let framing: HTTP1ResponseFraming
        if toHead || status.code < 200 || status.code == 204 || status.code == 304 {
            // The fields may describe the body a GET would have had (RFC 9110 §9.3.2); they are not checked.
            framing = .none
        } else {
            switch try Self.framing(connection, version: version) {
            case .none: framing = .untilClose
            case .length(let length): framing = .length(length)
            case .chunked: framing = .chunked
            }
        }
        let keepsAlive = !connection.closes && (version == .http1_1 || connection.keepsAlive)
        let head = HTTP1ResponseHead(
            response: HTTPResponse(status: status, headerFields: fields),
            version: version,
            // A 101 switches protocols, which the client never asks for: the connection is finished.
            keepAlive: keepsAlive && framing != .untilClose && status.code != 101
        )
        return (head, framing)
    }

    /// `HTTP-version SP 3DIGIT SP reason-phrase` (RFC 9112 §4). The code must be 100–599; a missing `SP reason`
    /// is accepted (some servers send `HTTP/1.1 200`), since the reason phrase means nothing to the protocol.
    private mutating func parseStatusLine() throws(HTTP1ParseError) -> (HTTPResponse.Status, HTTP1Version) {
        guard let line = self.nextLine(), line.count >= 12 else { throw .invalidStatusLine }
        let start = line.lowerBound
        let version: HTTP1Version
        do throws(HTTP1ParseError) {
            version = try self.parseVersion(start..<(start + 8))
        } catch {
            throw error == .versionNotSupported ? .versionNotSupported : .invalidStatusLine
        }
        guard self.bytes[start + 8] == HTTP1Syntax.space else { throw .invalidStatusLine }
        var code = 0
        for index in (start + 9)..<(start + 12) {
            let byte = self.bytes[index]
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { throw .invalidStatusLine }
            code = code * 10 + Int(byte - UInt8(ascii: "0"))
        }
        guard (100...599).contains(code) else { throw .invalidStatusLine }
        guard line.count > 12 else { return (HTTPResponse.Status(code: code), version) }
        guard self.bytes[start + 12] == HTTP1Syntax.space else { throw .invalidStatusLine }
        let reason = (start + 13)..<line.upperBound
        for index in reason where !HTTP1Syntax.isFieldContent(self.bytes[index]) { throw .invalidStatusLine }
        return (HTTPResponse.Status(code: code, reasonPhrase: self.string(reason)), version)
    }

    /// Notes what a field says about the framing and the connection, with the request parser's rules.
    private mutating func recordFramingField(
        name: Range<Int>,
        value: Range<Int>,
        into connection: inout ConnectionFields
    ) throws(HTTP1ParseError) {
        let bytes = self.bytes
        switch name.count {
        case 10 where HTTP1Syntax.equalsIgnoringCase(bytes, name, "connection"):
            try self.recordConnectionTokens(value, into: &connection)
        case 14 where HTTP1Syntax.equalsIgnoringCase(bytes, name, "content-length"):
            guard connection.contentLength == nil, let length = Self.decimal(bytes, value) else {
                throw .invalidContentLength
            }
            connection.contentLength = length
        case 17 where HTTP1Syntax.equalsIgnoringCase(bytes, name, "transfer-encoding"):
            try Self.recordTransferCodings(bytes, value, into: &connection)
        default:
            break
        }
    }
}
