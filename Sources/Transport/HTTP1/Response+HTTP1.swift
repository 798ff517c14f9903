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

    /// Whether the response itself asks to close the connection (`Connection: close`).
    var asksToClose: Bool {
        // A shared head has no `connection` field, and most others have none either: look for one before
        // collecting its values.
        self.sharedHead == nil && self.head.headerFields.contains(.connection)
            && http1Tokens(self.head.headerFields[values: .connection]).contains("close")
    }

    /// Whether a response with status `code` has no body: 1xx, 204 and 304.
    static func forbidsBody(_ code: Int) -> Bool {
        code < 200 || code == 204 || code == 304
    }

    /// Appends the status line and the header fields, following `plan`, to `buffer`; and the body too when it is
    /// sent and at most ``http1InlineBodyLimit`` bytes. Returns whether the body still has to be written.
    ///
    /// The reason phrase is kept; `date` is the `Date` field's value (RFC 9110 §6.6.1: every response of an
    /// origin server with a clock) unless the response set its own; `Content-Length` describes the body unless
    /// the response set it or its status forbids a body (1xx, 204, 304); the `Connection` field states
    /// `plan.keepAlive`. The fields written here are spelt as ``HTTP1FieldLines`` says. Hop-by-hop fields the
    /// response carried are replaced by ours. `HTTPFields` has already refused CR and LF in names and values, and
    /// `HTTPResponse.Status` in the reason phrase, so nothing here can split the response.
    func writeHTTP1(_ plan: HTTP1ResponsePlan, date: [UInt8], into buffer: inout ByteBuffer) -> Bool {
        // Read once: `HTTPResponse` decodes its status on every read (a shared head's is known without reading).
        let status = self.status
        let forbidsBody = Self.forbidsBody(status.code)
        let sendsBody = !plan.isHeadRequest && !forbidsBody && self.body.readableBytes > 0
        let inlinesBody = sendsBody && self.body.readableBytes <= Self.http1InlineBodyLimit

        // The status line and fields: prepared once for a shared head on HTTP/1.1, else measured here; then all
        // is written in one step.
        let prepared = plan.version == .http1_1 ? self.sharedHead.map(\.http1StatusAndFields) : nil
        let layout = prepared.map { FieldsLayout(size: $0.readableBytes) } ?? self.http1FieldsLayout(status: status)
        let writesContentLength = !layout.hasContentLength && !forbidsBody
        var size = layout.size
        if !layout.hasDate { size += 6 + date.count + 2 }
        if writesContentLength { size += HTTP1FieldLines.maxContentLengthSize }
        size += 24 + 2  // the longest `Connection` field, and the blank line
        if inlinesBody { size += self.body.readableBytes }

        buffer.writeWithCursor(reserving: size) { cursor in
            if let prepared {
                cursor.append(prepared)
            } else {
                self.appendHTTP1StatusAndFields(status: status, version: plan.version, layout: layout, to: &cursor)
            }
            if !layout.hasDate {
                cursor.append("Date: ")
                cursor.append(date)
                cursor.append("\r\n")
            }
            if writesContentLength {
                HTTP1FieldLines.appendContentLength(self.body.readableBytes, to: &cursor)
            }
            if !plan.keepAlive {
                cursor.append("Connection: close\r\n")
            } else if plan.version == .http1_0 {
                cursor.append("Connection: keep-alive\r\n")
            }
            cursor.append("\r\n")
            if inlinesBody { cursor.append(self.body) }
        }
        // The body goes on the wire unless the request was `HEAD` or the status forbids one.
        return sendsBody && !inlinesBody
    }

    /// What the status line and the fields take, and what the fields say.
    struct FieldsLayout {
        var size: Int
        var hasContentLength = false
        /// The response set its own `Date`.
        var hasDate = false
        /// Some fields are hop-by-hop and must be left out.
        var dropsFields = false
    }

    /// Measures the status line and the fields that will be written (at most: the status code is counted long).
    func http1FieldsLayout(status: HTTPResponse.Status) -> FieldsLayout {
        var layout = FieldsLayout(size: 8 + 1 + ByteCursor.maxDecimalLength + 1 + status.reasonPhrase.utf8.count + 2)
        for field in self.head.headerFields {
            switch Self.role(of: field.name) {
            case .hopByHop:
                layout.dropsFields = true
                continue
            case .contentLength: layout.hasContentLength = true
            case .date: layout.hasDate = true
            case .other: break
            }
            layout.size += HTTP1FieldLines.size(of: field)
        }
        return layout
    }

    /// Appends the status line and the fields `layout` measured.
    func appendHTTP1StatusAndFields(
        status: HTTPResponse.Status,
        version: HTTP1Version,
        layout: FieldsLayout,
        to cursor: inout ByteCursor
    ) {
        if version == .http1_1, status.code == 200, status.reasonPhrase == SharedHead.okReasonPhrase {
            cursor.append("HTTP/1.1 200 OK\r\n")
        } else {
            cursor.append(version.text)
            cursor.append(HTTP1Syntax.space)
            cursor.appendDecimal(status.code)
            cursor.append(HTTP1Syntax.space)
            cursor.append(status.reasonPhrase)
            cursor.append("\r\n")
        }
        for field in self.head.headerFields {
            if layout.dropsFields, case .hopByHop = Self.role(of: field.name) { continue }
            HTTP1FieldLines.append(field, to: &cursor)
        }
    }

    /// What the HTTP/1 encoder does with a field the response carries.
    private enum FieldRole {
        /// `connection`, `transfer-encoding`, `upgrade`: the connection's own, replaced by ours.
        case hopByHop
        case contentLength
        case date
        case other
    }

    private static func role(of name: HTTPField.Name) -> FieldRole {
        // By length first: each comparison of two different names is a string comparison.
        switch name.canonicalName.utf8.count {
        case 4: name == .date ? .date : .other
        case 7, 10, 17: name == .connection || name == .transferEncoding || name == .upgrade ? .hopByHop : .other
        case 14: name == .contentLength ? .contentLength : .other
        default: .other
        }
    }
}

extension SharedHead {
    /// This head's status line and fields on HTTP/1.1, written once by the same code as any other head's.
    fileprivate var http1StatusAndFields: ByteBuffer {
        switch self {
        case .okWithoutFields: Self.http1OKWithoutFields
        case .okPlainText: Self.http1OKPlainText
        case .okJSON: Self.http1OKJSON
        }
    }

    private static let http1OKWithoutFields = http1Bytes(.okWithoutFields)
    private static let http1OKPlainText = http1Bytes(.okPlainText)
    private static let http1OKJSON = http1Bytes(.okJSON)

    private static func http1Bytes(_ shared: SharedHead) -> ByteBuffer {
        let response = Response(head: shared.head)
        let layout = response.http1FieldsLayout(status: .ok)
        precondition(
            !layout.hasContentLength && !layout.hasDate && !layout.dropsFields,
            "a shared head carries no framing fields and no date"
        )
        var buffer = ByteBuffer()
        buffer.writeWithCursor(reserving: layout.size) { cursor in
            response.appendHTTP1StatusAndFields(status: .ok, version: .http1_1, layout: layout, to: &cursor)
        }
        return buffer
    }
}
