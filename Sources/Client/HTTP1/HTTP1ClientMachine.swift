import GatehouseTransport
import NIOCore

/// The life of one HTTP/1.1 client connection: one request at a time, the response collected whole.
///
/// Pure: the handler parses the bytes (``HTTP1ResponseParser``) and performs the actions (write, complete, close).
struct HTTP1ClientMachine {
    enum State {
        /// Ready for a request.
        case idle
        /// The request is sent; waiting for the response head.
        case awaitingHead
        /// Collecting the body of the response.
        case receivingBody(HTTP1ResponseHead, ByteBuffer)
        /// The connection is finished.
        case closed
    }

    enum Action {
        case none
        /// Send the request.
        case send
        /// Refuse the request: the connection is busy or closed.
        case reject(ClientError)
        /// Complete the request with this response; close afterwards when `close` is set.
        case complete(HTTP1ResponseHead, ByteBuffer, close: Bool)
        /// Fail the request in flight (and close).
        case fail(ClientError)
    }

    private(set) var state: State = .idle

    /// Whether a request is waiting for its response.
    var isAwaitingResponse: Bool {
        switch self.state {
        case .awaitingHead, .receivingBody: true
        case .idle, .closed: false
        }
    }

    /// A request is to be sent.
    mutating func requestStarted() -> Action {
        switch self.state {
        case .idle:
            self.state = .awaitingHead
            return .send
        case .awaitingHead, .receivingBody:
            return .reject(ClientError(.protocolError, "the HTTP/1.1 connection is busy with another request"))
        case .closed:
            return .reject(.connectionClosed())
        }
    }

    /// The parser found the next part of the response (interim 1xx responses are skipped by the parser).
    mutating func received(_ event: HTTP1ResponseParser.Event) -> Action {
        switch (self.state, event) {
        case (_, .needMoreData):
            return .none
        case (.awaitingHead, .head(let head)):
            self.state = .receivingBody(head, ByteBuffer())
            return .none
        case (.receivingBody(let head, var body), .body(var chunk)):
            self.state = .closed  // drop the reference while appending, so the buffer is not copied
            if body.readableBytes == 0 {
                body = chunk
            } else {
                body.writeBuffer(&chunk)
            }
            self.state = .receivingBody(head, body)
            return .none
        case (.receivingBody(let head, let body), .end):
            self.state = head.keepAlive ? .idle : .closed
            return .complete(head, body, close: !head.keepAlive)
        case (_, .failed(let error)):
            self.state = .closed
            return .fail(
                ClientError(
                    .protocolError,
                    "the server's HTTP/1.1 response could not be read: \(error.explanation)",
                    detail: "\(error)"
                )
            )
        case (.idle, _), (.closed, _):
            self.state = .closed
            return .fail(Self.unsolicited)
        case (.awaitingHead, _), (.receivingBody, .head):
            self.state = .closed
            return .fail(ClientError(.protocolError, "the server sent a malformed HTTP/1.1 response"))
        }
    }

    /// Bytes arrived while no request was waiting for them.
    mutating func receivedUnsolicitedBytes() -> Action {
        self.state = .closed
        return .fail(Self.unsolicited)
    }

    private static let unsolicited = ClientError(.protocolError, "the server sent a response nobody asked for")

    /// The connection failed or closed; fails the request in flight.
    mutating func connectionEnded(_ error: ClientError) -> Action {
        switch self.state {
        case .awaitingHead, .receivingBody:
            self.state = .closed
            return .fail(error)
        case .idle, .closed:
            self.state = .closed
            return .none
        }
    }
}

extension HTTP1ParseError {
    /// What was wrong with the response, for the client's error message.
    var explanation: String {
        switch self {
        case .invalidStatusLine: "the status line is malformed"
        case .versionNotSupported: "it is not HTTP/1.x"
        case .invalidFieldLine: "a header field line is malformed"
        case .invalidLineEnding: "a line does not end in CRLF"
        case .invalidContentLength: "Content-Length is repeated, a list or not a number"
        case .invalidTransferEncoding: "Transfer-Encoding is not chunked alone, or comes with Content-Length"
        case .unsupportedTransferEncoding: "it uses a transfer coding other than chunked"
        case .invalidChunk: "its chunked body is malformed"
        case .headTooLarge, .requestLineTooLong: "its head or trailer section is too large"
        case .invalidRequestLine, .invalidTarget, .invalidHost: "it is malformed"
        }
    }
}
