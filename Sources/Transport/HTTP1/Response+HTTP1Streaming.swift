import HTTPTypes
import NIOCore

/// How the body of a streamed HTTP/1.x response is framed on the wire.
enum HTTP1BodyFraming: Equatable {
    /// No body follows (a `HEAD` request, 204, 304).
    case none
    /// Exactly the announced `Content-Length`.
    case length
    /// The `chunked` coding: each piece is a chunk, and a last chunk ends the body.
    case chunked
    /// The body ends when the connection closes (an HTTP/1.0 client, no length known).
    case untilClose
}

extension Response {
    /// The exact length of a streamed body: ``ResponseBody/contentLength``, else the head's `Content-Length`.
    var streamedContentLength: Int? {
        if let length = self.streamedBody?.contentLength { return length }
        guard self.head.headerFields.contains(.contentLength) else { return nil }
        return self.head.headerFields[.contentLength].flatMap { Int($0) }
    }

    /// Appends the status line and fields of a response whose body streams after them, and returns how that body
    /// is framed: `Content-Length` when known, else `Transfer-Encoding: chunked` on HTTP/1.1, else (HTTP/1.0) no
    /// framing and the connection closes after the body (`plan.keepAlive` is then turned off).
    func writeHTTP1StreamingHead(
        _ plan: inout HTTP1ResponsePlan,
        date: [UInt8],
        into buffer: inout ByteBuffer
    ) -> HTTP1BodyFraming {
        let status = self.status
        let length = self.streamedContentLength
        let framing: HTTP1BodyFraming
        if Self.forbidsBody(status.code) {
            framing = .none
        } else if let length {
            framing = plan.isHeadRequest || length == 0 ? .none : .length
        } else if plan.isHeadRequest {
            framing = .none
        } else if plan.version == .http1_1 {
            framing = .chunked
        } else {
            plan.keepAlive = false
            framing = .untilClose
        }
        let layout = self.http1FieldsLayout(status: status)
        let size = layout.size + 6 + date.count + 2 + HTTP1FieldLines.maxContentLengthSize + 28 + 24 + 2
        buffer.writeWithCursor(reserving: size) { cursor in
            self.appendHTTP1StatusAndFields(status: status, version: plan.version, layout: layout, to: &cursor)
            if !layout.hasDate {
                cursor.append("Date: ")
                cursor.append(date)
                cursor.append("\r\n")
            }
            if !layout.hasContentLength, !Self.forbidsBody(status.code), let length {
                HTTP1FieldLines.appendContentLength(length, to: &cursor)
            }
            if framing == .chunked { cursor.append("Transfer-Encoding: chunked\r\n") }
            if !plan.keepAlive {
                cursor.append("Connection: close\r\n")
            } else if plan.version == .http1_0 {
                cursor.append("Connection: keep-alive\r\n")
            }
            cursor.append("\r\n")
        }
        return framing
    }
}
