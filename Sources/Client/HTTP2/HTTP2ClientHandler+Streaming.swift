import CNghttp2
import GatehouseTransport
import NIOCore

/// A streamed request on an HTTP/2 stream.
struct HTTP2StreamedExchange {
    let exchange: ClientExchange
    /// Whether the response head has gone to the caller.
    var isHeadDelivered = false
    /// Body parts may still come.
    var isRequestBodyOpen: Bool
    /// Completed once nghttp2 has taken the body part waiting in the stream's pending body.
    var bodyPartTaken: EventLoopPromise<Void>?
    /// A body part is written but not yet framed and on its way to the server.
    var isPartInFlight = false
    /// Response bytes yielded to the reader but not yet given back to the stream's window (the reader was behind).
    var unconsumed = 0

    /// Whether the response timeout runs: while the body is sent, only while the server has a part to take (the
    /// caller's pauses between parts are not the server's); after it, until the response is complete.
    var waitsForServer: Bool { !self.isRequestBodyOpen || self.isPartInFlight }

    /// Ends the exchange with `error`, and the body part waiting to be taken.
    func fail(_ error: any Error) {
        self.bodyPartTaken?.fail(error)
        self.exchange.fail(error)
    }
}

/// Streamed requests: HEADERS at once, DATA as the caller writes body parts (deferred while none waits), the
/// response yielded to its reader, and the stream's window reopened only as the reader pulls.
extension HTTP2ClientHandler {
    func send(_ request: StreamedClientRequest, context: ChannelHandlerContext) {
        guard let session = self.session, self.state.isAcceptingRequests else {
            request.exchange.fail(self.state.failure ?? .connectionClosed())
            return
        }
        if let busy = self.busyError(session) {
            request.exchange.fail(busy)
            return
        }
        let headers = HTTP2HeaderBlock(request: request.head, bodyLength: request.hasBody ? nil : 0)
        switch session.submitRequest(headers: headers, hasBody: request.hasBody) {
        case .submitted(let stream):
            self.streams[stream] = HTTP2ClientStream(body: ByteBuffer())
            self.streamed[stream] = HTTP2StreamedExchange(
                exchange: request.exchange,
                isRequestBodyOpen: request.hasBody
            )
            self.streamIDs[request.exchange.id] = stream
            if !request.hasBody { self.startTimer(stream: stream, context: context) }  // else its first part does
        case .refused(let code):
            self.state.stopAcceptingRequests()
            request.exchange.fail(ClientError.connectionClosed(detail: "nghttp2_submit_request: \(code)"))
        }
    }

    func writeBodyPart(_ bytes: ByteBuffer, for id: ExchangeID, promise: EventLoopPromise<Void>?) {
        guard let stream = self.streamIDs[id], let exchange = self.streamed[stream], exchange.isRequestBodyOpen,
            exchange.bodyPartTaken == nil
        else {
            promise?.fail(ClientError.connectionClosed())
            return
        }
        guard bytes.readableBytes > 0 else {
            promise?.succeed()
            return
        }
        guard let taken = promise ?? self.context?.eventLoop.makePromise() else { return }
        // The previous part is framed whole (one part waits at a time): the new part takes its place, so the buffer
        // never keeps the bytes already sent.
        self.streams[stream]?.pendingBody = bytes
        self.streamed[stream]?.bodyPartTaken = taken
        self.streamed[stream]?.isPartInFlight = true
        self.restartTimer(stream: stream)  // until the server takes the part
        taken.futureResult.assumeIsolated().whenComplete { [self] _ in self.partTaken(for: id) }
        self.session?.resumeData(stream: stream)
    }

    /// The body part of exchange `id` is on its way to the server: the caller's turn, so the timeout stops until
    /// the next part.
    private func partTaken(for id: ExchangeID) {
        guard let stream = self.streamIDs[id], self.streamed[stream] != nil else { return }
        self.streamed[stream]?.isPartInFlight = false
        if self.streamed[stream]?.waitsForServer == false { self.timers.removeValue(forKey: stream)?.cancel() }
    }

    func endBody(for id: ExchangeID, promise: EventLoopPromise<Void>?) {
        guard let stream = self.streamIDs[id], self.streamed[stream]?.isRequestBodyOpen == true else {
            promise?.fail(ClientError.connectionClosed())
            return
        }
        self.streamed[stream]?.isRequestBodyOpen = false
        self.restartTimer(stream: stream)  // the wait for the response head starts now
        self.session?.resumeData(stream: stream)
        promise?.succeed()
    }

    /// The next slice of a streamed request body for nghttp2, `NGHTTP2_ERR_DEFERRED` when none waits yet.
    func readStreamedBody(stream: Int32, into destination: UnsafeMutableRawBufferPointer) -> (Int, isEnd: Bool) {
        guard var body = self.streams[stream]?.pendingBody, let exchange = self.streamed[stream] else {
            return (0, true)
        }
        if body.readableBytes == 0 {
            return exchange.isRequestBodyOpen ? (Int(NGHTTP2_ERR_DEFERRED.rawValue), false) : (0, true)
        }
        let count = min(destination.count, body.readableBytes)
        body.readWithUnsafeReadableBytes { source in
            destination.copyMemory(from: UnsafeRawBufferPointer(rebasing: source.prefix(count)))
            return count
        }
        self.streams[stream]?.pendingBody = body
        if body.readableBytes == 0, let taken = self.streamed[stream]?.bodyPartTaken {
            // Framed, not yet written: the writer goes on once the frame is written and the channel writable.
            self.framedBodyParts.append(taken)
            self.streamed[stream]?.bodyPartTaken = nil
        }
        return (count, body.readableBytes == 0 && !exchange.isRequestBodyOpen)
    }

    /// Response DATA for a streamed request: yielded to the reader; the stream's window reopens now if the reader
    /// keeps up, else when it asks for more.
    func receivedStreamedData(_ bytes: UnsafeRawBufferPointer, stream: Int32) {
        guard let exchange = self.streamed[stream], exchange.isHeadDelivered else { return }
        let chunk = ByteBuffer(bytes: bytes)
        switch exchange.exchange.source.yield(chunk) {
        case .produceMore:
            self.session?.consumeStream(stream, bytes.count)
            if exchange.waitsForServer { self.restartTimer(stream: stream) }
        case .stopProducing:
            // The reader is behind: the server is not the one keeping us waiting.
            self.streamed[stream]?.unconsumed += bytes.count
            self.timers.removeValue(forKey: stream)?.cancel()
        case .dropped:
            break
        }
    }

    /// Hands a streamed request its response head once the stream's final HEADERS arrived.
    func deliverHeadIfReady(stream: Int32) {
        guard let exchange = self.streamed[stream], !exchange.isHeadDelivered, let state = self.streams[stream]?.state
        else { return }
        switch state {
        case .receivingBody(let head, _), .complete(let head, _):
            self.streamed[stream]?.isHeadDelivered = true
            if exchange.waitsForServer { self.restartTimer(stream: stream) }
            exchange.exchange.head.succeed(head)
        case .awaitingHead, .malformed:
            break
        }
    }

    /// The reader of exchange `id` wants more: the window it held back reopens.
    func resumeReading(for id: ExchangeID) {
        guard let stream = self.streamIDs[id], let exchange = self.streamed[stream], exchange.unconsumed > 0 else {
            return
        }
        self.streamed[stream]?.unconsumed = 0
        self.session?.consumeStream(stream, exchange.unconsumed)
        if exchange.waitsForServer { self.restartTimer(stream: stream) }
        if let context = self.context { self.flushOutput(context: context) }
    }

    /// The caller gave up on exchange `id`: RST_STREAM CANCEL; the connection's other streams go on.
    func cancel(_ id: ExchangeID) {
        guard let stream = self.streamIDs[id] else { return }
        self.removeStreamed(stream)?.fail(ClientError.cancelled())
        self.streams[stream] = nil
        self.timers.removeValue(forKey: stream)?.cancel()
        self.session?.cancel(stream: stream)
        if let context = self.context { self.flushOutput(context: context) }
    }

    /// The response timeout of `stream` starts again: it bounds each wait for the server while the reader wants
    /// more.
    private func restartTimer(stream: Int32) {
        self.timers.removeValue(forKey: stream)?.cancel()
        if let context = self.context { self.startTimer(stream: stream, context: context) }
    }

    /// Forgets the streamed request on `stream` and returns it.
    func removeStreamed(_ stream: Int32) -> HTTP2StreamedExchange? {
        guard let exchange = self.streamed.removeValue(forKey: stream) else { return nil }
        self.streamIDs[exchange.exchange.id] = nil
        return exchange
    }
}
