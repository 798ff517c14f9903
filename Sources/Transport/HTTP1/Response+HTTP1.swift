import HTTPTypes
import NIOCore

/// How one response goes onto an HTTP/1.x connection: which version answers, whether the connection stays open,
/// and whether the body is sent.
struct HTTP1ResponsePlan: Equatable {
    /// The request's version; the response answers in kind.
    var version: HTTP1Version
    /// The connection stays open after this response.
    var keepAlive: Bool
    /// The request was `HEAD`: send the head only.
    var isHeadRequest: Bool

    /// The plan for an answer that closes the connection, to a request whose head may not even be known.
    static let closing = HTTP1ResponsePlan(version: .http1_1, keepAlive: false, isHeadRequest: false)
}

extension Response {
    /// Bodies up to this size are copied behind the head so the response is one write (one `SSL_write`, one TLS
    /// record); larger ones are written as a second buffer, without the copy.
    static let http1InlineBodyLimit = 16 * 1024

    /// Whether the response itself asks to close the connection (`connection: close`).
    var asksToClose: Bool {
        // Most responses carry no `connection` field: look for one before collecting its values.
        self.head.headerFields.contains(.connection)
            && http1Tokens(self.head.headerFields[values: .connection]).contains("close")
    }

    /// Whether a response with status `code` has no body: 1xx, 204 and 304.
    private static func forbidsBody(_ code: Int) -> Bool {
        code < 200 || code == 204 || code == 304
    }

    /// Appends the status line and the header fields, following `plan`, to `buffer`; and the body too when it is
    /// sent and at most ``http1InlineBodyLimit`` bytes. Returns whether the body still has to be written.
    ///
    /// The reason phrase is kept; `content-length` describes the body unless the response set it or its status
    /// forbids a body (1xx, 204, 304); the `connection` field states `plan.keepAlive`. Hop-by-hop fields the
    /// response carried are replaced by ours. `HTTPFields` has already refused CR and LF in names and values, and
    /// `HTTPResponse.Status` in the reason phrase, so nothing here can split the response.
    ///
    /// - Parameter status: `self.status`, when the caller has read it already (`HTTPResponse` decodes it from its
    ///   `:status` field on every read).
    func writeHTTP1(_ plan: HTTP1ResponsePlan, status: HTTPResponse.Status? = nil, into buffer: inout ByteBuffer) -> Bool {
        let status = status ?? self.status
        let isPlainOK = plan.version == .http1_1 && status.code == 200 && status.reasonPhrase == Self.okReasonPhrase
        let forbidsBody = Self.forbidsBody(status.code)
        let sendsBody = !plan.isHeadRequest && !forbidsBody && self.body.readableBytes > 0
        let inlinesBody = sendsBody && self.body.readableBytes <= Self.http1InlineBodyLimit

        // Measure first, then write everything in one step.
        var size = isPlainOK ? 17 : 8 + 1 + ByteCursor.maxDecimalLength + 1 + status.reasonPhrase.utf8.count + 2
        var hasContentLength = false
        var dropsFields = false
        for field in self.head.headerFields {
            switch Self.role(of: field.name) {
            case .hopByHop:
                dropsFields = true
                continue
            case .contentLength: hasContentLength = true
            case .other: break
            }
            size += field.name.rawName.utf8.count + 2 + field.value.utf8.count + 2
        }
        let writesContentLength = !hasContentLength && !forbidsBody
        if writesContentLength { size += 16 + ByteCursor.maxDecimalLength + 2 }
        size += 24 + 2  // the longest `connection` field, and the blank line
        if inlinesBody { size += self.body.readableBytes }

        buffer.writeWithCursor(reserving: size) { cursor in
            if isPlainOK {
                cursor.append("HTTP/1.1 200 OK\r\n")
            } else {
                cursor.append(plan.version.text)
                cursor.append(HTTP1Syntax.space)
                cursor.appendDecimal(status.code)
                cursor.append(HTTP1Syntax.space)
                cursor.append(status.reasonPhrase)
                cursor.append("\r\n")
            }
            for field in self.head.headerFields {
                if dropsFields, case .hopByHop = Self.role(of: field.name) { continue }
                cursor.append(field.name.rawName)
                cursor.append(": ")
                cursor.append(field.value)
                cursor.append("\r\n")
            }
            if writesContentLength {
                cursor.append("content-length: ")
                cursor.appendDecimal(self.body.readableBytes)
                cursor.append("\r\n")
            }
            if !plan.keepAlive {
                cursor.append("connection: close\r\n")
            } else if plan.version == .http1_0 {
                cursor.append("connection: keep-alive\r\n")
            }
            cursor.append("\r\n")
            if inlinesBody { cursor.append(self.body) }
        }
        // The body goes on the wire unless the request was `HEAD` or the status forbids one.
        return sendsBody && !inlinesBody
    }

    /// What the HTTP/1 encoder does with a field the response carries.
    private enum FieldRole {
        /// `connection`, `transfer-encoding`, `upgrade`: the connection's own, replaced by ours.
        case hopByHop
        case contentLength
        case other
    }

    private static func role(of name: HTTPField.Name) -> FieldRole {
        // By length first: each comparison of two different names is a string comparison.
        switch name.canonicalName.utf8.count {
        case 7, 10, 17: name == .connection || name == .transferEncoding || name == .upgrade ? .hopByHop : .other
        case 14: name == .contentLength ? .contentLength : .other
        default: .other
        }
    }

    /// The complete HTTP/1.1 bytes of this response, closing the connection.
    func http1ClosingBytes(allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 256 + self.body.readableBytes)
        if self.writeHTTP1(.closing, into: &buffer) { buffer.writeImmutableBuffer(self.body) }
        return buffer
    }

    private static let okReasonPhrase = HTTPResponse.Status.ok.reasonPhrase
}
