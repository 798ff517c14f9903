import HTTPTypes
import NIOCore
import NIOHTTP1

/// How one response goes onto an HTTP/1.1 connection: which version answers, whether the connection stays open,
/// and whether the body is sent.
struct HTTP1ResponsePlan: Equatable {
    /// The request's version; the response answers in kind.
    var version: HTTPVersion
    /// The connection stays open after this response.
    var keepAlive: Bool
    /// The request was `HEAD`: send the head only.
    var isHeadRequest: Bool
}

extension Response {
    /// Whether the response itself asks to close the connection (`connection: close`).
    var asksToClose: Bool {
        http1Tokens(self.head.headerFields[values: .connection]).contains("close")
    }

    /// The HTTP/1.1 head and the body to send, following `plan`.
    ///
    /// The reason phrase is kept; `content-length` describes the body unless the response set it or its status
    /// forbids a body (1xx, 204, 304); the `connection` field states `plan.keepAlive`. Hop-by-hop fields the
    /// response carried are replaced by ours. The body is `nil` for `HEAD` requests and body-less statuses.
    func http1Parts(_ plan: HTTP1ResponsePlan) -> (head: HTTPResponseHead, body: ByteBuffer?) {
        let code = self.status.code
        let forbidsBody = (100..<200).contains(code) || code == 204 || code == 304
        var headers = HTTPHeaders()
        headers.reserveCapacity(self.head.headerFields.count + 2)
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
            headers.add(name: field.name.rawName, value: field.value)
        }
        if !hasContentLength && !forbidsBody {
            headers.add(name: "content-length", value: String(self.body.readableBytes))
        }
        if !plan.keepAlive {
            headers.add(name: "connection", value: "close")
        } else if plan.version == .http1_0 {
            headers.add(name: "connection", value: "keep-alive")
        }
        // NIO replaces the phrase of a status it knows, so keep ours with `.custom`, except for the body-less
        // statuses, whose framing the encoder decides from the known cases.
        let reason = self.status.reasonPhrase
        let status: HTTPResponseStatus =
            forbidsBody || reason.isEmpty
            ? HTTPResponseStatus(statusCode: code, reasonPhrase: reason)
            : .custom(code: UInt(code), reasonPhrase: reason)
        let head = HTTPResponseHead(version: plan.version, status: status, headers: headers)
        let sendsBody = !forbidsBody && !plan.isHeadRequest && self.body.readableBytes > 0
        return (head, sendsBody ? self.body : nil)
    }

    /// The complete HTTP/1.1 bytes of this response, closing the connection; for answers written below the
    /// HTTP codec (the request-read timeout, when the request head may not have been decoded yet).
    func http1ClosingBytes(allocator: ByteBufferAllocator) -> ByteBuffer {
        let (head, body) = self.http1Parts(HTTP1ResponsePlan(version: .http1_1, keepAlive: false, isHeadRequest: false))
        var buffer = allocator.buffer(capacity: 256 + (body?.readableBytes ?? 0))
        buffer.writeString("HTTP/1.1 \(head.status.code) \(head.status.reasonPhrase)\r\n")
        for (name, value) in head.headers {
            buffer.writeString("\(name): \(value)\r\n")
        }
        buffer.writeString("\r\n")
        if let body { buffer.writeImmutableBuffer(body) }
        return buffer
    }
}
