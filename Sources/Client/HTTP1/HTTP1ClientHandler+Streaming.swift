import GatehouseTransport
import HTTPTypes
import NIOCore

/// The streamed request an HTTP/1.1 connection is carrying.
struct HTTP1StreamedExchange {
    let exchange: ClientExchange
    /// The body goes out in chunked coding (the head named no `Content-Length`).
    let isChunked: Bool
    /// Body parts may still come.
    var isRequestBodyOpen: Bool
    /// A body part is written but the server has not taken it yet.
    var isPartInFlight = false

    /// Whether the response timeout runs: while the body is sent, only while the server has a part to take (the
    /// caller's pauses between parts are not the server's); after it, until the response is complete.
    var waitsForServer: Bool { !self.isRequestBodyOpen || self.isPartInFlight }
}

/// Streamed requests: the head first, the body in parts as the caller writes them, the response yielded to its
/// reader as it arrives.
extension HTTP1ClientHandler {
    func send(_ request: StreamedClientRequest, context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        switch self.machine.requestStarted() {
        case .send:
            self.parser.expectResponse(toHead: request.head.method == .head)
            if !request.hasBody { self.startTimer(context: context) }  // with a body: its first part starts it
            let isChunked = request.hasBody && request.head.headerFields[.contentLength] == nil
            var head = context.channel.allocator.buffer(capacity: 256)
            if isChunked {
                request.head.writeChunkedHTTP1Head(into: &head)
            } else {
                request.head.writeHTTP1Head(bodyLength: 0, into: &head)
            }
            self.streamed = HTTP1StreamedExchange(
                exchange: request.exchange,
                isChunked: isChunked,
                isRequestBodyOpen: request.hasBody
            )
            context.write(self.wrapOutboundOut(head), promise: promise)
        case .reject(let error):
            promise?.fail(error)
            request.exchange.fail(error)
        case .none, .complete, .fail:
            promise?.succeed()
        }
    }

    func writeBodyPart(
        _ bytes: ByteBuffer,
        for id: ExchangeID,
        context: ChannelHandlerContext,
        promise: EventLoopPromise<Void>?
    ) {
        guard let streamed = self.streamed, streamed.exchange.id == id, streamed.isRequestBodyOpen else {
            promise?.fail(ClientError.connectionClosed())
            return
        }
        guard bytes.readableBytes > 0 else {
            promise?.succeed()
            return
        }
        self.streamed?.isPartInFlight = true
        self.restartTimer(context: context)  // until the server takes the part
        let written = promise ?? context.eventLoop.makePromise()
        written.futureResult.assumeIsolated().whenComplete { [self] _ in self.partTaken(for: id) }
        if streamed.isChunked {
            var size = context.channel.allocator.buffer(capacity: 18)
            size.writeString(String(bytes.readableBytes, radix: 16) + "\r\n")
            context.write(self.wrapOutboundOut(size), promise: nil)
            context.write(self.wrapOutboundOut(bytes), promise: nil)
            context.write(self.wrapOutboundOut(ByteBuffer(string: "\r\n")), promise: written)
        } else {
            context.write(self.wrapOutboundOut(bytes), promise: written)
        }
    }

    /// The server took the body part of exchange `id`: the caller's turn, so the timeout stops until the next part.
    private func partTaken(for id: ExchangeID) {
        guard self.streamed?.exchange.id == id else { return }
        self.streamed?.isPartInFlight = false
        if self.streamed?.waitsForServer == false { self.timer?.cancel() }
    }

    func endBody(for id: ExchangeID, context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        guard let streamed = self.streamed, streamed.exchange.id == id, streamed.isRequestBodyOpen else {
            promise?.fail(ClientError.connectionClosed())
            return
        }
        self.streamed?.isRequestBodyOpen = false
        self.restartTimer(context: context)  // the wait for the response head starts now
        if streamed.isChunked {
            context.write(self.wrapOutboundOut(ByteBuffer(string: "0\r\n\r\n")), promise: promise)
        } else {
            promise?.succeed()
        }
    }

    /// Takes a parser event for a streamed response; `false` leaves it to the machine as for a collected one.
    func deliverStreamed(_ event: HTTP1ResponseParser.Event, context: ChannelHandlerContext) -> Bool {
        guard let streamed = self.streamed else { return false }
        switch event {
        case .head(let head):
            self.perform(self.machine.received(event), context: context)
            if streamed.waitsForServer { self.restartTimer(context: context) }
            streamed.exchange.head.succeed(head.response)
            return true
        case .body(let chunk):
            guard chunk.readableBytes > 0 else { return true }
            if streamed.exchange.source.yield(chunk) == .stopProducing {
                // The reader is behind: the server is not the one keeping us waiting.
                self.readsPaused = true
                self.timer?.cancel()
            } else if streamed.waitsForServer {
                self.restartTimer(context: context)
            }
            return true
        case .needMoreData, .end, .failed:
            return false
        }
    }

    /// The streamed response ended well.
    func finishStreamed(context: ChannelHandlerContext) {
        guard let streamed = self.streamed else { return }
        self.streamed = nil
        streamed.exchange.finish()
        self.resumeReading(context: context)
    }

    /// The streamed exchange failed with `error`.
    func failStreamed(_ error: ClientError) {
        guard let streamed = self.streamed else { return }
        self.streamed = nil
        streamed.exchange.fail(error)
        self.readsPaused = false
    }

    /// The reader of exchange `id` wants more.
    func resumeReading(for id: ExchangeID, context: ChannelHandlerContext) {
        guard let streamed = self.streamed, streamed.exchange.id == id else { return }
        if self.readsPaused && streamed.waitsForServer { self.restartTimer(context: context) }
        self.resumeReading(context: context)
    }

    /// The response timeout starts again: it bounds each wait for the server while the reader wants more.
    private func restartTimer(context: ChannelHandlerContext) {
        self.timer?.cancel()
        self.startTimer(context: context)
    }

    private func resumeReading(context: ChannelHandlerContext) {
        self.readsPaused = false
        if self.readPending {
            self.readPending = false
            context.read()
        }
    }

    /// The caller gave up on exchange `id`: the response cannot be skipped on HTTP/1.1, so the connection closes.
    func cancel(_ id: ExchangeID, context: ChannelHandlerContext) {
        guard self.streamed?.exchange.id == id else { return }
        self.perform(self.machine.connectionEnded(.cancelled()), context: context)
    }
}

extension HTTPRequest {
    /// Appends the HTTP/1.1 head of a request whose body follows in chunked coding: the request line, `Host` from
    /// the authority, the fields except framing ones, and `Transfer-Encoding: chunked`.
    func writeChunkedHTTP1Head(into buffer: inout ByteBuffer) {
        buffer.writeString("\(self.method.rawValue) \(self.path ?? "/") HTTP/1.1\r\n")
        if let authority = self.authority { buffer.writeString("Host: \(authority)\r\n") }
        for field in self.headerFields where field.name != .transferEncoding && field.name != .contentLength {
            buffer.writeString("\(field.name.rawName): \(field.value)\r\n")
        }
        buffer.writeString("Transfer-Encoding: chunked\r\n\r\n")
    }
}
