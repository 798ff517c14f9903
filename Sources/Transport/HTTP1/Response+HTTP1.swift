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
        http1Tokens(self.head.headerFields[values: .connection]).contains("close")
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
    func writeHTTP1(_ plan: HTTP1ResponsePlan, into buffer: inout ByteBuffer) -> Bool {
        // Read once: `HTTPResponse` keeps the status as a `:status` field and decodes it on every read.
        let status = self.status
        if plan.version == .http1_1, status == .ok, status.reasonPhrase == Self.okReasonPhrase {
            buffer.writeStaticString("HTTP/1.1 200 OK\r\n")
        } else {
            buffer.writeStaticString(plan.version.text)
            buffer.writeInteger(HTTP1Syntax.space)
            Self.writeDecimal(status.code, into: &buffer)
            buffer.writeInteger(HTTP1Syntax.space)
            buffer.writeString(status.reasonPhrase)
            buffer.writeStaticString("\r\n")
        }
        let forbidsBody = Self.forbidsBody(status.code)
        var hasContentLength = false
        for field in self.head.headerFields {
            switch field.name {
            case .connection, .transferEncoding, .upgrade:
                continue
            case .contentLength:
                hasContentLength = true
            default:
                break
            }
            buffer.writeString(field.name.rawName)
            buffer.writeStaticString(": ")
            buffer.writeString(field.value)
            buffer.writeStaticString("\r\n")
        }
        if !hasContentLength && !forbidsBody {
            buffer.writeStaticString("content-length: ")
            Self.writeDecimal(self.body.readableBytes, into: &buffer)
            buffer.writeStaticString("\r\n")
        }
        if !plan.keepAlive {
            buffer.writeStaticString("connection: close\r\n")
        } else if plan.version == .http1_0 {
            buffer.writeStaticString("connection: keep-alive\r\n")
        }
        buffer.writeStaticString("\r\n")
        // The body goes on the wire unless the request was `HEAD` or the status forbids one.
        guard !plan.isHeadRequest && !forbidsBody && self.body.readableBytes > 0 else { return false }
        guard self.body.readableBytes <= Self.http1InlineBodyLimit else { return true }
        buffer.writeImmutableBuffer(self.body)
        return false
    }

    /// The complete HTTP/1.1 bytes of this response, closing the connection.
    func http1ClosingBytes(allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 256 + self.body.readableBytes)
        if self.writeHTTP1(.closing, into: &buffer) { buffer.writeImmutableBuffer(self.body) }
        return buffer
    }

    private static let okReasonPhrase = HTTPResponse.Status.ok.reasonPhrase

    private static func writeDecimal(_ value: Int, into buffer: inout ByteBuffer) {
        var remaining = max(value, 0)
        var digits = 1
        var divisor = 1
        while remaining / divisor >= 10 {
            divisor *= 10
            digits += 1
        }
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: digits) { bytes in
            for index in 0..<digits {
                bytes[index] = UInt8(ascii: "0") + UInt8(remaining / divisor)
                remaining %= divisor
                divisor /= 10
            }
            return digits
        }
    }
}
