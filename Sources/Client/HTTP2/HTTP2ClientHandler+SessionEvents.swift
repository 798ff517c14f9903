import GatehouseTransport
import NIOCore

/// What the nghttp2 callbacks report, applied to the stream they concern.
extension HTTP2ClientHandler {
    func receivedField(name: String, value: String, stream: Int32) {
        self.streams[stream]?.receivedField(name: name, value: value)
    }

    func receivedEndOfHeaders(stream: Int32, endStream: Bool) {
        self.streams[stream]?.receivedEndOfHeaders(endStream: endStream)
        if self.streamed[stream] != nil { self.deliverHeadIfReady(stream: stream) }
    }

    func receivedData(_ bytes: UnsafeRawBufferPointer, stream: Int32) {
        // Windows are reopened by hand (no automatic WINDOW_UPDATE): the connection's at once, a stream's once
        // its bytes are taken.
        self.session?.consumeConnection(bytes.count)
        if self.streamed[stream] != nil {
            self.receivedStreamedData(bytes, stream: stream)
        } else if self.streams[stream] != nil {
            self.streams[stream]?.receivedData(bytes)
            self.session?.consumeStream(stream, bytes.count)
        }
    }

    func receivedEndOfStream(_ stream: Int32) {
        self.streams[stream]?.receivedEndOfStream()
    }

    func receivedGoaway() {
        self.state.stopAcceptingRequests()
    }

    func streamClosed(_ stream: Int32, errorCode: UInt32) {
        guard let closed = self.streams.removeValue(forKey: stream) else { return }
        self.timers.removeValue(forKey: stream)?.cancel()
        if let exchange = self.removeStreamed(stream) {
            switch closed.closed(errorCode: errorCode) {
            case .succeed:
                exchange.bodyPartTaken?.fail(ClientError.connectionClosed())
                exchange.exchange.finish()
            case .fail(let error):
                exchange.fail(error)
            }
            return
        }
        guard let promise = self.promises.removeValue(forKey: stream) else { return }
        switch closed.closed(errorCode: errorCode) {
        case .succeed(let head, let body):
            promise.succeed(ClientResponse(head: head, body: body, httpVersion: .http2, tls: self.facts.tls))
        case .fail(let error):
            promise.fail(error)
        }
    }

    /// Copies the next slice of `stream`'s request body into nghttp2's buffer.
    func readRequestBody(stream: Int32, into destination: UnsafeMutableRawBufferPointer) -> (Int, isEnd: Bool) {
        if self.streamed[stream] != nil { return self.readStreamedBody(stream: stream, into: destination) }
        guard var body = self.streams[stream]?.pendingBody else { return (0, true) }
        let count = min(destination.count, body.readableBytes)
        body.readWithUnsafeReadableBytes { source in
            destination.copyMemory(from: UnsafeRawBufferPointer(rebasing: source.prefix(count)))
            return count
        }
        self.streams[stream]?.pendingBody = body
        return (count, body.readableBytes == 0)
    }
}
