import NIOCore
import NIOHTTP1

/// The life of one HTTP/1.1 client connection: one request at a time, the response collected whole.
///
/// Pure: the handler performs the actions (write, complete, close).
struct HTTP1ClientMachine {
    enum State {
        /// Ready for a request.
        case idle
        /// The request is sent; waiting for the response head.
        case awaitingHead
        /// Collecting the body of the response.
        case receivingBody(HTTPResponseHead, ByteBuffer)
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
        case complete(HTTPResponseHead, ByteBuffer, close: Bool)
        /// Fail the request in flight (and close).
        case fail(ClientError)
    }

    private(set) var state: State = .idle

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

    /// A response part arrived.
    mutating func received(_ part: HTTPClientResponsePart) -> Action {
        switch (self.state, part) {
        case (.awaitingHead, .head(let head)) where head.status.code < 200:
            return .none  // interim response (100 Continue, 103): the real one follows
        case (.awaitingHead, .head(let head)):
            self.state = .receivingBody(head, ByteBuffer())
            return .none
        case (.receivingBody(let head, var body), .body(var chunk)):
            self.state = .closed  // drop the reference while appending, so the buffer is not copied
            body.writeBuffer(&chunk)
            self.state = .receivingBody(head, body)
            return .none
        case (.receivingBody(let head, let body), .end):
            let keepAlive = head.isKeepAlive
            self.state = keepAlive ? .idle : .closed
            return .complete(head, body, close: !keepAlive)
        case (.idle, _), (.closed, _):
            self.state = .closed
            return .fail(ClientError(.protocolError, "the server sent a response nobody asked for"))
        case (.awaitingHead, _), (.receivingBody, .head):
            self.state = .closed
            return .fail(ClientError(.protocolError, "the server sent a malformed HTTP/1.1 response"))
        }
    }

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
