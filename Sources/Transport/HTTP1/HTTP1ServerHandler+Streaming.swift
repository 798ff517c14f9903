import HTTPTypes
import NIOCore

/// Streamed bodies on HTTP/1.x: a request body handed to the function as it arrives (reads stop while the function
/// holds ``ConnectionLimits/maxUnreadStreamedBodyBytes`` it has not taken), and a response body written as it is produced (the producer
/// waits while the channel is not writable, i.e. once ``ConnectionLimits/maxPendingOutputBytes`` wait for the
/// client).
extension HTTP1ServerHandler: ResponseBodyTarget {
    // MARK: Request body

    /// Dispatches a request of a streaming route at its head, with a source its body goes into.
    func dispatchStreamed(_ head: HTTPRequest, on stream: StreamID, context: ChannelHandlerContext) {
        let source = RequestBodySource(eventLoop: context.eventLoop) { [weak self] _ in
            guard let self, let context = self.context else { return }
            self.resumeReadingIfHeld(context: context)
        }
        self.bodySource = source
        self.dispatcher.dispatch(Request(head: head, bodySource: source), on: stream, writer: self)
    }

    /// A piece of the streamed body: copied out of the read buffer (shared by the thread's connections) into the
    /// source.
    func streamBody(_ piece: ByteBuffer, context: ChannelHandlerContext) {
        guard let source = self.bodySource else { return }
        var own = context.channel.allocator.buffer(capacity: piece.readableBytes)
        own.writeImmutableBuffer(piece)
        source.append(own)
    }

    /// The connection ends: both streams break off.
    func endStreams(_ error: StreamingBodyError) {
        self.bodySource?.fail(error)
        self.bodySource = nil
        self.responseSink?.fail(error)
        self.responseSink = nil
    }

    // MARK: Response body

    /// Sends the head of a response whose body streams; returns the body's sink, or `nil` when no body follows
    /// (the response is then complete) or `stream` is not the one awaiting its response.
    func writeHead(_ response: Response, for stream: StreamID) -> ResponseBodySink? {
        guard let context = self.context,
            case .write(let response, var plan) = self.machine.responseHeadReady(response, for: stream)
        else { return nil }
        var head = context.channel.allocator.buffer(capacity: 256)
        let framing = response.writeHTTP1StreamingHead(&plan, date: self.date.now(), into: &head)
        if !plan.keepAlive { self.machine.closesAfterResponse() }
        context.writeAndFlush(self.wrapOutboundOut(head), promise: nil)
        self.responseFraming = framing
        let sink = ResponseBodySink(
            target: self,
            stream: stream,
            contentLength: framing == .length ? response.streamedContentLength : nil,
            stallTimeout: self.responseStallTimeout,
            eventLoop: context.eventLoop
        )
        self.responseSink = sink
        guard framing != .none else {
            self.endBody(for: stream)
            return nil
        }
        return sink
    }

    func sendBody(_ buffer: ByteBuffer, for stream: StreamID) -> Bool {
        guard let context = self.context, self.responseSink?.stream == stream else { return true }
        switch self.responseFraming {
        case .none:
            return true
        case .length, .untilClose:
            context.writeAndFlush(self.wrapOutboundOut(buffer), promise: nil)
        case .chunked:
            var chunk = context.channel.allocator.buffer(capacity: buffer.readableBytes + 20)
            chunk.writeString(String(buffer.readableBytes, radix: 16))
            chunk.writeStaticString("\r\n")
            chunk.writeImmutableBuffer(buffer)
            chunk.writeStaticString("\r\n")
            context.writeAndFlush(self.wrapOutboundOut(chunk), promise: nil)
        }
        return context.channel.isWritable
    }

    func endBody(for stream: StreamID) {
        guard let context = self.context, self.responseSink?.stream == stream else { return }
        self.responseSink = nil
        var last = context.channel.allocator.buffer(capacity: 5)
        if self.responseFraming == .chunked { last.writeStaticString("0\r\n\r\n") }
        self.responseFraming = .none
        switch self.machine.responseBodyEnded(for: stream) {
        case .none:
            return
        case .completed(let plan):
            self.perform(self.timeouts.responseCompleted(now: context.eventLoop.now), context: context)
            let written = context.writeAndFlush(self.wrapOutboundOut(last))
            guard plan.keepAlive else {
                let channel = context.channel
                written.whenComplete { _ in channel.close(promise: nil) }
                return
            }
            self.answeredAfterBatch(plan, context: context)
        case .completedAbandoningBody:
            self.abandonStreamedBody(context: context)
            context.writeAndFlush(self.wrapOutboundOut(last)).assumeIsolated().whenComplete { [self] _ in
                self.drainAnswerWritten()
            }
        }
    }

    func abortBody(for stream: StreamID) {
        guard let context = self.context, self.responseSink?.stream == stream else { return }
        // Closing before the body's end tells the client the response is broken (a chunked body lacks its last
        // chunk, a sized one its bytes).
        self.endStreams(StreamingBodyError(.connectionClosed))
        self.machine.abort()
        context.close(promise: nil)
    }
}
