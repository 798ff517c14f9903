import HTTPTypes
import NIOCore

/// One request's stream on a client connection: the body still to send and the response being collected.
///
/// Pure: callbacks feed it, and the handler acts on what it returns.
struct HTTP2ClientStream {
    enum State {
        /// Waiting for the response's `:status` and header fields.
        case awaitingHead(status: Int?, fields: HTTPFields)
        /// The final head arrived; collecting DATA.
        case receivingBody(HTTPResponse, ByteBuffer)
        /// END_STREAM arrived: the response is whole.
        case complete(HTTPResponse, ByteBuffer)
        /// The server broke the protocol on this stream.
        case malformed(String)
    }

    enum CloseAction {
        /// Complete the request with this response.
        case succeed(HTTPResponse, ByteBuffer)
        /// Fail the request.
        case fail(ClientError)
    }

    private(set) var state: State = .awaitingHead(status: nil, fields: [:])
    /// The request body not yet handed to nghttp2.
    var pendingBody: ByteBuffer

    init(body: ByteBuffer) {
        self.pendingBody = body
    }

    /// A header field of the response arrived.
    mutating func receivedField(name: String, value: String) {
        guard case .awaitingHead(var status, var fields) = self.state else { return }
        self.state = .malformed("")  // drop the reference while appending, so the fields are not copied per field
        if name == ":status" {
            guard let code = Int(value), (100...999).contains(code) else {
                self.state = .malformed("the server sent an invalid :status \(value)")
                return
            }
            status = code
        } else if !name.hasPrefix(":"), let fieldName = HTTPField.Name(name) {
            fields.append(HTTPField(name: fieldName, value: value))
        }
        self.state = .awaitingHead(status: status, fields: fields)
    }

    /// A HEADERS frame ended; an interim (1xx) head is dropped and the next one awaited.
    mutating func receivedEndOfHeaders(endStream: Bool) {
        switch self.state {
        case .awaitingHead(let status?, let fields) where status >= 200:
            let head = HTTPResponse(status: .init(code: status), headerFields: fields)
            self.state = endStream ? .complete(head, ByteBuffer()) : .receivingBody(head, ByteBuffer())
        case .awaitingHead(.some, _):
            self.state = .awaitingHead(status: nil, fields: [:])
        case .awaitingHead(.none, _):
            self.state = .malformed("the server sent a response without :status")
        case .receivingBody(let head, let body) where endStream:
            self.state = .complete(head, body)  // trailers: ignored
        case .receivingBody, .complete, .malformed:
            break
        }
    }

    /// A chunk of response body arrived.
    mutating func receivedData(_ bytes: UnsafeRawBufferPointer) {
        guard case .receivingBody(let head, var body) = self.state else { return }
        self.state = .malformed("")  // drop the reference while appending, so the buffer is not copied
        body.writeBytes(bytes)
        self.state = .receivingBody(head, body)
    }

    /// A DATA frame with END_STREAM arrived.
    mutating func receivedEndOfStream() {
        if case .receivingBody(let head, let body) = self.state { self.state = .complete(head, body) }
    }

    /// The stream closed with `errorCode`; what happens to the request.
    func closed(errorCode: UInt32) -> CloseAction {
        switch self.state {
        case .complete(let head, let body):
            return .succeed(head, body)
        case .malformed(let reason):
            return .fail(ClientError(.protocolError, reason))
        case .awaitingHead, .receivingBody:
            if errorCode == 0x7 {  // REFUSED_STREAM: not processed, e.g. after GOAWAY
                return .fail(.connectionClosed(detail: "stream refused"))
            }
            return .fail(ClientError(.protocolError, "the server reset the stream (HTTP/2 error code \(errorCode))"))
        }
    }
}
