import HTTPTypes
import NIOCore

/// A streamed request body arriving on one HTTP/2 stream.
struct StreamedRequestBody {
    let source: RequestBodySource
    /// Bytes received and not yet reported taken by the function: their flow-control credit (stream and
    /// connection) is withheld until they are, so a client cannot push more than a window ahead of the reader.
    var unconsumedBytes = 0
}

/// A streamed response body being produced for one HTTP/2 stream.
struct StreamedResponseBody {
    let sink: ResponseBodySink
    /// Pieces written by the producer and not yet drawn by nghttp2.
    var queue = CircularBuffer<ByteBuffer>()
    var queuedBytes = 0
    /// The producer finished: once the queue is drawn, the last DATA frame carries END_STREAM.
    var isEnded = false
    /// nghttp2 found the queue empty and waits to be resumed (`nghttp2_session_resume_data`).
    var isDeferred = false
    /// The producer was told to wait (its stream's queue or the connection's was full).
    var isWaiting = false
}

/// Streamed bodies on HTTP/2. A request body's flow-control credit returns only as the function takes its bytes
/// (stream and connection windows: automatic WINDOW_UPDATE is off), and a response body's producer waits while
/// ``ConnectionLimits/maxQueuedResponseBytesPerStream`` of its stream, or ``ConnectionLimits/maxPendingOutputBytes``
/// of all the connection's streams, wait for nghttp2, which draws them only while the channel is writable and the
/// peer's window allows (a DATA frame per draw, through a data provider that defers when the queue is empty). So a
/// client that opens many streams and takes nothing makes the connection hold at most `maxPendingOutputBytes`.
extension HTTP2ServerHandler: ResponseBodyTarget {
    // MARK: Request body

    /// Gives a streaming route's request its body source as soon as its head is complete — before the dispatch, which
    /// waits for the end of the read — so that DATA (and END_STREAM) arriving in the same read as the HEADERS go
    /// into it instead of being taken for a collected body's.
    func attachBodySource(on stream: Int32) {
        guard let context = self.context else { return }
        let source = RequestBodySource(eventLoop: context.eventLoop) { [weak self] count in
            self?.streamedBodyConsumed(count, on: stream)
        }
        self.bodySources[stream] = StreamedRequestBody(source: source)
    }

    /// Dispatches the request of a streaming route at its head, with the source its DATA goes into.
    func dispatchStreamed(_ head: HTTPRequest, on stream: Int32) {
        guard let body = self.bodySources[stream] else { return }  // reset or closed since its head
        self.dispatcher.dispatch(Request(head: head, bodySource: body.source), on: StreamID(stream), writer: self)
    }

    /// DATA of a streamed body: into its source; credit is withheld until the function takes the bytes.
    func receivedStreamedData(_ bytes: UnsafeRawBufferPointer, stream: Int32, now: NIODeadline) {
        guard var body = self.bodySources[stream] else { return }
        _ = self.streams.update(stream) { $0.noteBodyActivity(now: now) }
        body.unconsumedBytes += bytes.count
        self.bodySources[stream] = body
        var buffer = self.context?.channel.allocator.buffer(capacity: bytes.count) ?? ByteBuffer()
        buffer.writeBytes(bytes)
        body.source.append(buffer)
        if body.source.isEnded {
            // Nobody reads any more (the body failed): the bytes are dropped and their credit returns at once.
            self.streamedBodyConsumed(bytes.count, on: stream)
        }
    }

    /// The function took `count` bytes of `stream`'s body: their credit returns to the peer.
    func streamedBodyConsumed(_ count: Int, on stream: Int32) {
        guard var body = self.bodySources[stream], let session = self.session else { return }
        let returned = min(count, body.unconsumedBytes)
        body.unconsumedBytes -= returned
        self.bodySources[stream] = body
        session.consumeStream(stream, returned)
        session.consumeConnection(returned)
        if !self.isReadingBatch { self.sendPendingOutput() }
    }

    /// Marks streamed bodies whose function still holds bytes as making progress: a lagging reader is not a
    /// stalled client.
    func noteStreamedBodyProgress(now: NIODeadline) {
        for (stream, body) in self.bodySources where body.unconsumedBytes > 0 {
            _ = self.streams.update(stream) { $0.noteBodyActivity(now: now) }
        }
    }

    /// `stream` closed, or the connection is going: its streamed bodies end with `error` unless complete, and the
    /// credit of request bytes the function never took returns to the connection.
    func endStreamedBodies(of stream: Int32, _ error: StreamingBodyError) {
        // Most connections stream no body: spare the two lookups (each hashes the key) on every stream's close.
        if self.bodySources.isEmpty && self.responseBodies.isEmpty { return }
        if let body = self.bodySources.removeValue(forKey: stream) {
            body.source.fail(error)
            self.session?.consumeConnection(body.unconsumedBytes)
        }
        if let body = self.responseBodies.removeValue(forKey: stream) {
            body.sink.fail(error)
            if self.outgoingBody?.stream == stream { self.outgoingBody = nil }
            self.dequeuedResponseBytes(body.queuedBytes)
        }
    }

    /// The request body of `stream` stalled: it breaks off for its function, which stops.
    func streamedBodyTimedOut(_ stream: Int32) {
        guard let body = self.bodySources.removeValue(forKey: stream) else { return }
        body.source.fail(StreamingBodyError(.timedOut))
        self.session?.consumeConnection(body.unconsumedBytes)
        self.dispatcher.cancel(StreamID(stream))
    }

    // MARK: Response body

    /// Submits the head of a response whose body streams; returns the body's sink, or `nil` when no body follows
    /// (a `HEAD` request, 204, 304, an empty body: the stream is then answered) or the stream is gone.
    func writeHead(_ response: Response, for stream: StreamID) -> ResponseBodySink? {
        guard let context = self.context,
            let action = self.streams.update(stream.rawValue, { $0.respondStreaming(response) }),
            case .submitStreaming(let head, let contentLength, let hasBody) = action
        else { return nil }
        let headers = HTTP2HeaderBlock(
            streamingResponse: head,
            contentLength: contentLength,
            date: self.date ?? .current
        )
        var sink: ResponseBodySink?
        if hasBody {
            let bodySink = ResponseBodySink(
                target: self,
                stream: stream,
                contentLength: contentLength,
                stallTimeout: TimeAmount(self.limits.idleTimeout),
                eventLoop: context.eventLoop
            )
            self.responseBodies[stream.rawValue] = StreamedResponseBody(sink: bodySink)
            self.session?.submitStreamingResponse(stream: stream.rawValue, headers: headers)
            sink = bodySink
        } else {
            self.session?.submitResponse(stream: stream.rawValue, headers: headers, hasBody: false)
        }
        if !self.isReadingBatch { self.sendPendingOutput() }
        return sink
    }

    func sendBody(_ buffer: ByteBuffer, for stream: StreamID) -> Bool {
        guard var body = self.responseBodies[stream.rawValue] else { return true }
        body.queue.append(buffer)
        body.queuedBytes += buffer.readableBytes
        self.queuedResponseBytes += buffer.readableBytes
        let resumes = body.isDeferred
        body.isDeferred = false
        self.responseBodies[stream.rawValue] = body
        if resumes { self.session?.resumeData(stream: stream.rawValue) }
        if !self.isReadingBatch { self.sendPendingOutput() }
        guard let queued = self.responseBodies[stream.rawValue]?.queuedBytes else { return true }
        let mayContinue =
            queued < self.limits.maxQueuedResponseBytesPerStream
            && self.queuedResponseBytes < self.limits.maxPendingOutputBytes
        if !mayContinue { self.responseBodies[stream.rawValue]?.isWaiting = true }
        return mayContinue
    }

    func endBody(for stream: StreamID) {
        guard var body = self.responseBodies[stream.rawValue] else { return }
        body.isEnded = true
        let resumes = body.isDeferred
        body.isDeferred = false
        self.responseBodies[stream.rawValue] = body
        if resumes { self.session?.resumeData(stream: stream.rawValue) }
        if !self.isReadingBatch { self.sendPendingOutput() }
    }

    func abortBody(for stream: StreamID) {
        guard let body = self.responseBodies.removeValue(forKey: stream.rawValue) else { return }
        if self.outgoingBody?.stream == stream.rawValue { self.outgoingBody = nil }
        self.dequeuedResponseBytes(body.queuedBytes)
        // RST_STREAM: the client sees the response broken off, never a complete one.
        self.session?.submitReset(stream: stream.rawValue, code: .internalError)
        if !self.isReadingBatch { self.sendPendingOutput() }
    }

    /// nghttp2 asks for up to `maxLength` bytes of `stream`'s streamed body: the next queued slice, the end, or
    /// `nil` to defer until the producer writes more.
    func readStreamedBody(stream: Int32, maxLength: Int) -> (count: Int, isEnd: Bool)? {
        guard var body = self.responseBodies[stream] else { return (0, true) }
        guard var first = body.queue.popFirst() else {
            guard body.isEnded else {
                body.isDeferred = true
                self.responseBodies[stream] = body
                return nil
            }
            self.finishStreamedBody(stream)
            self.outgoingBody = (stream, ByteBuffer())
            return (0, true)
        }
        let slice = first.readSlice(length: min(maxLength, first.readableBytes)) ?? ByteBuffer()
        if first.readableBytes > 0 { body.queue.prepend(first) }
        body.queuedBytes -= slice.readableBytes
        self.responseBodies[stream] = body
        self.dequeuedResponseBytes(slice.readableBytes, from: stream)
        let isEnd = body.isEnded && body.queue.isEmpty
        if isEnd { self.finishStreamedBody(stream) }
        self.outgoingBody = (stream, slice)
        return (slice.readableBytes, isEnd)
    }

    /// `count` queued response bytes left the connection's queues (drawn by nghttp2 from `stream`, or dropped): a
    /// producer waits no longer once its own stream's queue and the connection's are both below half of their
    /// limits. Resuming completes the producer's wait later, through its executor: never inside nghttp2.
    private func dequeuedResponseBytes(_ count: Int, from stream: Int32? = nil) {
        let total = self.queuedResponseBytes
        self.queuedResponseBytes -= count
        let connectionHalf = self.limits.maxPendingOutputBytes / 2
        guard self.queuedResponseBytes < connectionHalf else { return }
        let streamHalf = self.limits.maxQueuedResponseBytesPerStream / 2
        if total >= connectionHalf {
            // The connection's queue fell below half: every producer that waits with room in its own queue goes on.
            for (waiting, body) in self.responseBodies where body.isWaiting && body.queuedBytes < streamHalf {
                self.resumeProducer(of: waiting)
            }
        } else if let stream, let body = self.responseBodies[stream], body.isWaiting, body.queuedBytes < streamHalf {
            self.resumeProducer(of: stream)
        }
    }

    private func resumeProducer(of stream: Int32) {
        self.responseBodies[stream]?.isWaiting = false
        self.responseBodies[stream]?.sink.resume()
    }

    /// The whole streamed body was handed to nghttp2.
    private func finishStreamedBody(_ stream: Int32) {
        self.responseBodies.removeValue(forKey: stream)
        self.streams.update(stream) { $0.streamedBodyEnded() }
    }
}
