import HTTPTypes
import NIOCore

/// The HTTP/2 server protocol handler: nghttp2 decodes requests from plaintext bytes, a
/// ``RequestDispatcher`` answers them, and the responses go back as HTTP/2 frames.
///
/// Sits directly above the TLS handler and is added once ALPN chose `h2`, so the channel is
/// already active: the server SETTINGS are sent from `handlerAdded`. Streams are answered
/// concurrently and in any order. Output is written once per input batch and paused while the
/// channel is not writable.
final class HTTP2ServerHandler: ChannelDuplexHandler, TLSPlaintextReader {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// The connection's life, seen from the server.
    enum Phase {
        /// Waiting for the channel to become active.
        case idle
        case active
        /// The shutdown notice went out; the final GOAWAY follows after a short delay.
        case quiescing
        /// The final GOAWAY went out: streams above `lastStreamID` are not served.
        case draining(lastStreamID: Int32)
        case closed
    }

    /// How long after the shutdown notice the final GOAWAY goes out: lets in-flight HEADERS arrive.
    static let goawayDelay = TimeAmount.milliseconds(100)
    /// Output is written and flushed at least every this many bytes within one batch.
    private static let writeChunkSize = 256 * 1024
    /// The most output buffer capacity kept between batches.
    private static let retainedOutputCapacity = 64 * 1024

    let limits: ConnectionLimits
    let dispatcher: any RequestDispatcher
    // Shared with the extensions in HTTP2ServerHandler+*.swift; touched only on the event loop.
    //
    // `@exclusivity(unchecked)`: the state touched per header field and per frame is only ever accessed
    // briefly, never across a call that could re-enter the handler, so the runtime's dynamic exclusivity
    // checks, a visible share of the server's CPU, guard nothing here.
    var phase = Phase.idle
    @exclusivity(unchecked) var streams = HTTP2StreamTable()
    @exclusivity(unchecked) var streamIdentifiers = HTTP2StreamIdentifiers()
    /// Where the client's frames begin in its input, for the closed-stream check (HTTP2ServerHandler+ClosedStreams.swift).
    @exclusivity(unchecked) var inboundFrames = HTTP2InboundFrameHeaders()
    /// The streams recently closed after the client ended them: frames on them are a connection error.
    @exclusivity(unchecked) var closedStreams: HTTP2ClosedStreams
    /// When a HEADERS frame without END_HEADERS began whose block has not seen its last CONTINUATION yet.
    @exclusivity(unchecked) var continuedBlockStartedAt: NIODeadline?
    /// Stream actions raised inside nghttp2 callbacks, performed once nghttp2 returns.
    @exclusivity(unchecked) var pendingActions: [(stream: Int32, action: HTTP2StreamMachine.Action)] = []
    var session: HTTP2ServerSession?
    var context: ChannelHandlerContext?
    /// The TLS handler right below and its context: plaintext comes straight from it (``TLSPlaintextReader``) and
    /// output goes straight into it (``TLSHandler/writeDirectly(_:context:)``), without a pipeline hop per read, per
    /// end of batch, per write and per flush. `nil` without TLS below (tests); cleared when the connection ends.
    private var tls: TLSHandlerBelow?
    /// True between `channelRead` and `channelReadComplete`: output waits for the batch to end.
    var isReadingBatch = false
    /// The connection's one timer for every deadline (HTTP2ServerHandler+Deadlines.swift).
    var deadlineTimer: NIOScheduledCallback?
    /// When a stream last made progress: a request frame arrived or a response frame went out.
    @exclusivity(unchecked) var lastProgress = NIODeadline.uptimeNanoseconds(0)
    /// The time of the input batch being read, read from the clock once per batch when first needed.
    @exclusivity(unchecked) var batchTime: NIODeadline?
    /// True once a response frame went out in the current output loop: progress, noted when it ends.
    @exclusivity(unchecked) var sentResponseFrame = false
    var goawayTimer: Scheduled<Void>?
    @exclusivity(unchecked) private var isSending = false
    @exclusivity(unchecked) private var isPerformingActions = false
    /// nghttp2's output, reused from batch to batch: the TLS handler encrypts a write at once, so the buffer's
    /// storage is unique again (and keeps its capacity) by the next batch.
    @exclusivity(unchecked) var output = ByteBuffer()
    /// The response body slice that the next DATA frame carries, between nghttp2's two body callbacks.
    var outgoingBody: (stream: Int32, bytes: ByteBuffer)?
    /// Inside ``write(_:for:)``: a response submitted now is the dispatcher's, any other one Transport's own.
    var isWritingResponse = false
    /// The `date` of every response: the event loop thread's, looked up once per connection when it starts.
    @exclusivity(unchecked) var date: HTTPDate?
    /// The streamed request bodies arriving, by stream (HTTP2ServerHandler+Streaming.swift).
    var bodySources: [Int32: StreamedRequestBody] = [:]
    /// The streamed response bodies being produced, by stream.
    var responseBodies: [Int32: StreamedResponseBody] = [:]
    /// The bytes queued in ``responseBodies`` together, bounded by ``ConnectionLimits/maxPendingOutputBytes``.
    var queuedResponseBytes = 0

    /// Creates the handler for one connection.
    /// - Parameters:
    ///   - limits: the listener's limits (SETTINGS, body and header sizes, resets, idle time).
    ///   - dispatcher: receives complete requests and cancellations, on the event loop.
    init(limits: ConnectionLimits, dispatcher: any RequestDispatcher) {
        self.limits = limits
        self.dispatcher = dispatcher
        self.closedStreams = HTTP2ClosedStreams(capacity: limits.maxConcurrentStreams)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.tls = TLSHandlerBelow(attaching: self, in: context)
        if context.channel.isActive { self.start(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.tearDown()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        self.start(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.tearDown()
        context.fireChannelInactive()
    }

    private func start(context: ChannelHandlerContext) {
        guard case .idle = self.phase else { return }
        self.phase = .active
        let userData = Unmanaged.passUnretained(self).toOpaque()
        guard let session = HTTP2ServerSession(limits: self.limits, userData: userData) else {
            self.closeConnection()
            return
        }
        self.session = session
        self.date = HTTPDate.current
        self.output = context.channel.allocator.buffer(capacity: 0)
        self.lastProgress = context.eventLoop.now
        self.armDeadlineTimer(context: context)
        self.sendPendingOutput()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.received(self.unwrapInboundIn(data))
    }

    /// Plaintext straight from the TLS handler below (``TLSPlaintextReader``): the same as `channelRead`.
    func plaintextRead(_ plaintext: ByteBuffer) {
        self.received(plaintext)
    }

    private func received(_ bytes: ByteBuffer) {
        guard let session = self.session else { return }
        self.isReadingBatch = true
        self.batchTime = nil
        let result = self.receive(bytes, into: session)
        self.performPendingActions()
        self.releaseBodyBudget()
        if case .fatal = result {
            // nghttp2 may have queued a GOAWAY: send it, then give up on the connection.
            self.isReadingBatch = false
            self.sendPendingOutput()
            self.closeConnection()
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.isReadingBatch = false
        self.sendPendingOutput()
        context.fireChannelReadComplete()
    }

    /// The end of a read batch straight from the TLS handler below (``TLSPlaintextReader``): as
    /// `channelReadComplete`, with no handler after this one to tell. The output is written and flushed here, and
    /// the next read comes from NIO's auto-read through the pipeline, as without the direct path.
    func plaintextReadComplete() -> TLSReadCompletion {
        self.isReadingBatch = false
        self.sendPendingOutput()
        return TLSReadCompletion(flushes: false, reads: false)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { self.sendPendingOutput() }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            self.beginQuiescing()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.closeConnection()
        context.fireErrorCaught(error)
    }
}

extension HTTP2ServerHandler {
    /// Runs nghttp2's output loop and writes the result: one write and one flush per chunk of output.
    ///
    /// Stops calling `mem_send` while the channel is not writable (resumed by `channelWritabilityChanged`),
    /// and closes the connection once nghttp2 neither reads nor writes any more.
    func sendPendingOutput() {
        guard !self.isSending, let context = self.context else { return }
        self.isSending = true
        defer { self.isSending = false }
        sending: while let session = self.session, context.channel.isWritable {
            // The bytes are appended once nghttp2 returned: a DATA frame written by a callback comes first.
            let step = session.sendNext { self.output.writeBytes($0) }
            let hadActions = !self.pendingActions.isEmpty
            if hadActions { self.performPendingActions() }
            switch step {
            case .wrote:
                if self.output.readableBytes >= Self.writeChunkSize { self.writeOutput(context: context) }
            case .idle:
                // An action raised by the last frames (a reset after the response) may have queued more.
                if hadActions { continue sending }
                break sending
            case .fatal:
                self.closeConnection()
                break sending
            }
        }
        if self.output.readableBytes > 0 { self.writeOutput(context: context) }
        if self.sentResponseFrame {
            self.sentResponseFrame = false
            self.lastProgress = context.eventLoop.now
        }
        if let session = self.session, !session.isAlive {
            self.closeConnection()
        }
    }

    /// Writes and flushes the collected output (straight into the TLS handler below when it takes writes, else
    /// through the pipeline), then empties the buffer for the next batch.
    private func writeOutput(context: ChannelHandlerContext) {
        if let tls = self.tls, tls.handler.acceptsDirectWrites {
            tls.handler.writeDirectly(self.output, context: tls.context)
            tls.handler.flush(context: tls.context)
        } else {
            context.writeAndFlush(self.wrapOutboundOut(self.output), promise: nil)
        }
        if self.output.capacity > Self.retainedOutputCapacity {
            self.output = context.channel.allocator.buffer(capacity: 0)  // a large batch: do not keep its memory
        } else {
            self.output.clear()  // keeps the storage when the write consumed it (unique again), else starts anew
        }
    }

    /// Performs the stream actions that nghttp2 callbacks queued, in order, including those queued meanwhile.
    func performPendingActions() {
        // A nested call (an action that makes nghttp2 queue more) leaves them to this loop.
        guard !self.isPerformingActions else { return }
        self.isPerformingActions = true
        defer { self.isPerformingActions = false }
        var index = 0
        while index < self.pendingActions.count {
            // Moved out, not copied: the array keeps `.none` and the request is not retained twice.
            var action = HTTP2StreamMachine.Action.none
            swap(&action, &self.pendingActions[index].action)
            let stream = self.pendingActions[index].stream
            index += 1
            self.perform(action, on: stream)
        }
        self.pendingActions.removeAll(keepingCapacity: true)
    }

    func perform(_ action: HTTP2StreamMachine.Action, on stream: Int32) {
        switch action {
        case .none:
            break
        case .dispatch(let request):
            if case .draining(let lastStreamID) = self.phase, stream > lastStreamID {
                // Past the final GOAWAY: the peer retries elsewhere.
                self.session?.submitReset(stream: stream, code: .refusedStream)
                return
            }
            self.dispatcher.dispatch(request, on: StreamID(stream), writer: self)
        case .dispatchStreamed(let head):
            if case .draining(let lastStreamID) = self.phase, stream > lastStreamID {
                self.session?.submitReset(stream: stream, code: .refusedStream)
                return
            }
            self.dispatchStreamed(head, on: stream)
        case .submitStreaming:
            break  // only ever the answer to ``writeHead(_:for:)``, which submits it itself
        case .submit(let head, let bodyLength, let hasBody):
            let headers = HTTP2HeaderBlock(response: head, bodyLength: bodyLength, date: self.date ?? .current)
            self.session?.submitResponse(stream: stream, headers: headers, hasBody: hasBody)
            if !self.isWritingResponse {
                let request = self.streams.update(stream) { $0.answeredRequest } ?? nil
                let bodyBytes = hasBody ? bodyLength : 0
                self.dispatcher.answeredItself(status: head.status, bodyBytes: bodyBytes, request: request)
            }
        case .reset(let code):
            self.session?.submitReset(stream: stream, code: code)
            if code == .protocolError, self.streams.update(stream, { $0.isMalformed }) == true {
                self.dispatcher.answeredItself(status: .badRequest, bodyBytes: 0, request: nil)
            }
        case .cancel:
            self.dispatcher.cancel(StreamID(stream))
        }
    }

    /// Closes the channel once; `channelInactive` then tears the session down.
    func closeConnection() {
        if case .closed = self.phase { return }
        self.phase = .closed
        self.context?.close(promise: nil)
    }

    /// Cancels what the dispatcher still owes and frees the session. Idempotent.
    func tearDown() {
        self.phase = .closed
        defer { self.dispatcher.connectionClosed() }
        self.tls?.detach(self)
        self.tls = nil
        self.deadlineTimer?.cancel()
        self.deadlineTimer = nil
        self.goawayTimer?.cancel()
        self.goawayTimer = nil
        guard let session = self.session else { return }
        self.session = nil
        session.close()
        self.pendingActions.removeAll()
        self.outgoingBody = nil
        for stream in Array(self.bodySources.keys) + Array(self.responseBodies.keys) {
            self.endStreamedBodies(of: stream, StreamingBodyError(.connectionClosed))
        }
        for stream in self.streams.removeAll() {
            self.dispatcher.cancel(StreamID(stream))
        }
    }
}

@available(*, unavailable)
extension HTTP2ServerHandler: Sendable {}
