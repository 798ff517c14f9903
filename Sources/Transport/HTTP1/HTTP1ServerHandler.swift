import HTTPTypes
import NIOCore

/// The whole HTTP/1.x server side of a connection, in one handler after TLS: plaintext bytes in, plaintext bytes
/// out.
///
/// It parses requests (``HTTP1RequestParser``), hands each complete one to the ``RequestDispatcher`` and writes its
/// ``Response`` back as one buffer. One request is in flight at a time, numbered 1, 2, 3, … on the connection;
/// pipelined requests wait in the inbound buffer until the previous one is answered, and reads stop while that
/// buffer is full. Responses produced during a read batch are flushed once, when the batch ends (or every
/// ``maxUnflushedBytes``); a response that arrives later is flushed at once. Once
/// ``ConnectionLimits/maxPendingOutputBytes`` of responses wait for a client that does not read (the channel's
/// high water mark), the next request waits, and so do reads, until half of them are written. It also enforces the
/// idle, request-head and request-body timeouts (``HTTP1TimeoutMachine``), answers malformed input (400, 413, 414,
/// 417, 431, 501, 505) and closes (after draining a refused body: ``HTTP1Drain``), and drains on
/// `ChannelShouldQuiesceEvent`.
final class HTTP1ServerHandler: ChannelDuplexHandler, ResponseWriter, TLSPlaintextReader, NIOScheduledCallbackHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// While a request waits for its response, reading stops once this many bytes of later requests are buffered.
    static let maxBufferedBytes = 64 * 1024
    /// Responses written during a read batch are flushed early past this many bytes, so that the channel's
    /// writability (and so the backpressure) sees them.
    static let maxUnflushedBytes = 64 * 1024
    /// Leftover bytes of a partial request are copied out of a read buffer more than this many times their size,
    /// so a slow client does not pin a large shared buffer.
    private static let maxRetainedSlack = 4

    // `@exclusivity(unchecked)` on the state touched for every request: it is only accessed on the event loop and
    // never across a call that could re-enter the handler (re-entrant writes go through `isParsing`), so the
    // runtime's dynamic checks guard nothing here.
    @exclusivity(unchecked) private var parser: HTTP1RequestParser
    @exclusivity(unchecked) var machine: HTTP1RequestMachine
    var timeouts: HTTP1TimeoutMachine
    let dispatcher: any RequestDispatcher
    private(set) var context: ChannelHandlerContext?
    /// The TLS handler right below and its context, which responses are written to and flushed through directly
    /// (``TLSHandler/writeDirectly(_:context:)``): a pipeline hop per write and per flush is most of what NIO costs
    /// between two handlers. `nil` on a plaintext listener; cleared when the connection ends.
    private var tls: TLSHandlerBelow?
    /// Received bytes not parsed yet.
    @exclusivity(unchecked) private var inbound = ByteBuffer()
    /// The thread's scratch buffers: responses are serialized into a shared one, reused once TLS has encrypted it.
    /// Constants, not `lazy`, so that reading them per response retains nothing (the handler is created on its
    /// channel's event loop, as the pipeline is set up).
    private let buffers = ThreadBuffers.current
    /// The thread's `Date` value, formatted once a second.
    let date = HTTPDate.current
    /// The connection's one timeout timer (``HTTP1TimeoutMachine``): a callback on this handler, not a task, so that
    /// an idle connection's armed timer is only its slot in the event loop's queue (a task adds a promise and two
    /// closure contexts).
    private var timer: NIOScheduledCallback?
    /// Between `channelRead` and `channelReadComplete`: a response written now is flushed at the batch's end.
    private var isInReadBatch = false
    private var needsFlush = false
    /// Bytes written in this read batch and not flushed yet.
    private var unflushedBytes = 0
    /// The channel is not writable: the client does not read its responses as fast as they come.
    private var isOutputBlocked = false
    /// The channel's high water mark: ``ConnectionLimits/maxPendingOutputBytes``.
    private let maxPendingOutputBytes: Int
    /// Reading stops while a streaming function holds this many request-body bytes it has not taken.
    private let maxUnreadStreamedBodyBytes: Int
    /// Inside ``parseBufferedRequests(context:)``: a response written re-entrantly must not start another loop.
    private var isParsing = false
    /// A `read` was held back because the inbound buffer is full.
    private var isReadHeld = false
    /// After a refused body: what the connection may still read and drop before it closes.
    var drain: HTTP1Drain?
    /// The streamed body of the request in flight, while it arrives (HTTP1ServerHandler+Streaming.swift).
    var bodySource: RequestBodySource?
    /// The streamed body of the response in flight, while it is produced.
    var responseSink: ResponseBodySink?
    /// How the streamed response body in flight is framed.
    var responseFraming = HTTP1BodyFraming.none
    /// How long a streamed response body may wait for a client that takes nothing: ``ConnectionLimits/idleTimeout``.
    let responseStallTimeout: TimeAmount

    /// Creates the handler for one connection.
    init(limits: ConnectionLimits, dispatcher: any RequestDispatcher) {
        self.parser = HTTP1RequestParser(maxHeadSize: limits.maxHeaderListSize)
        self.machine = HTTP1RequestMachine(maxBodySize: limits.maxBodySize)
        self.timeouts = HTTP1TimeoutMachine(
            idleTimeout: TimeAmount(limits.idleTimeout),
            headTimeout: TimeAmount(limits.requestHeadTimeout),
            bodyTimeout: TimeAmount(limits.requestBodyTimeout)
        )
        self.dispatcher = dispatcher
        self.maxPendingOutputBytes = limits.maxPendingOutputBytes
        self.maxUnreadStreamedBodyBytes = limits.maxUnreadStreamedBodyBytes
        self.responseStallTimeout = TimeAmount(limits.idleTimeout)
    }

    // MARK: Lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.tls = TLSHandlerBelow(attaching: self, in: context)
        // Writability turns off once this much waits to be written (TLS records are what the socket holds, a few
        // bytes more than the responses), and back on when half of it is written.
        let mark = ChannelOptions.Types.WriteBufferWaterMark(
            low: self.maxPendingOutputBytes / 2,
            high: max(self.maxPendingOutputBytes, 1)
        )
        try? context.channel.syncOptions?.setOption(.writeBufferWaterMark, value: mark)
        self.isOutputBlocked = !context.channel.isWritable
        // Added after the TLS handshake: the channel is usually active already.
        if context.channel.isActive {
            self.perform(self.timeouts.start(now: context.eventLoop.now), context: context)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.connectionEnded(context: context)
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        self.perform(self.timeouts.start(now: context.eventLoop.now), context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.connectionEnded(context: context)
        context.fireChannelInactive()
    }

    private func connectionEnded(context: ChannelHandlerContext) {
        self.tls?.detach(self)
        self.tls = nil
        self.perform(self.timeouts.closed(), context: context)
        self.endDrain()
        self.endStreams(StreamingBodyError(.connectionClosed))
        if let stream = self.machine.connectionClosed() {
            self.dispatcher.cancel(stream)
        }
        self.dispatcher.connectionClosed()
        self.inbound = ByteBuffer()
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.received(self.unwrapInboundIn(data), context: context)
    }

    /// Plaintext straight from the TLS handler below (``TLSPlaintextReader``): the same as `channelRead`.
    func plaintextRead(_ plaintext: ByteBuffer) {
        guard let context = self.context else { return }
        self.received(plaintext, context: context)
    }

    private func received(_ bytes: ByteBuffer, context: ChannelHandlerContext) {
        self.isInReadBatch = true
        // A closing connection (after an error, a timeout or `connection: close`) starts nothing new.
        guard !self.machine.isClosing else {
            self.drained(bytes.readableBytes, context: context)
            return
        }
        if self.timeouts.isReadingBody { self.timeouts.bodyBytesReceived(now: context.eventLoop.now) }
        if self.inbound.readableBytes == 0 {
            self.inbound = bytes
        } else {
            if self.inbound.readerIndex >= self.inbound.readableBytes { self.inbound.discardReadBytes() }
            self.inbound.writeImmutableBuffer(bytes)
        }
        self.parseBufferedRequests(context: context)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.isInReadBatch = false
        self.flushIfNeeded(context: context)
        context.fireChannelReadComplete()
    }

    /// The end of a read batch straight from the TLS handler below (``TLSPlaintextReader``): as
    /// `channelReadComplete`, with no handler after this one to tell. The TLS handler then flushes, and asks for the
    /// next read as `read(context:)` would: NIO's auto-read, which comes next, finds a read requested and sends none
    /// through the pipeline (from its tail, through this handler and TLS, to its head).
    func plaintextReadComplete() -> TLSReadCompletion {
        guard self.context != nil else { return TLSReadCompletion(flushes: false, reads: false) }
        self.isInReadBatch = false
        let flushes = self.needsFlush
        self.needsFlush = false
        self.unflushedBytes = 0
        return TLSReadCompletion(flushes: flushes, reads: !self.isReadBlocked)
    }

    private func flushIfNeeded(context: ChannelHandlerContext) {
        guard self.needsFlush else { return }
        self.needsFlush = false
        self.unflushedBytes = 0
        if let tls = self.tls, tls.handler.acceptsDirectWrites {
            if tls.handler.hasUnflushedWrites { tls.handler.flush(context: tls.context) }
        } else {
            context.flush()
        }
    }

    /// Writes `buffer` without flushing: straight into the TLS handler below when it takes writes, else through the
    /// pipeline.
    private func writeOut(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
        if let tls = self.tls, tls.handler.acceptsDirectWrites {
            tls.handler.writeDirectly(buffer, context: tls.context)
        } else {
            context.write(self.wrapOutboundOut(buffer), promise: nil)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        self.isOutputBlocked = !context.channel.isWritable
        if !self.isOutputBlocked { self.responseSink?.resume() }
        if !self.isOutputBlocked && !self.isParsing {
            // The client read enough: answer what waits, in one flush as in a read batch, then read again.
            let wasInReadBatch = self.isInReadBatch
            self.isInReadBatch = true
            self.parseBufferedRequests(context: context)
            self.isInReadBatch = wasInReadBatch
            if !wasInReadBatch { self.flushIfNeeded(context: context) }
            self.resumeReadingIfHeld(context: context)
        }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case is ChannelShouldQuiesceEvent:
            self.perform(self.machine.quiesce(), context: context)
        case ChannelEvent.inputClosed:
            if self.machine.inputClosed() { context.close(promise: nil) }
        default:
            break
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // An error from below (TLS) ends the connection; the TLS handler has already sent its alert.
        self.machine.abort()
        context.close(promise: nil)
    }

    /// Parses and acts on buffered bytes until they run out or a request is waiting for its response.
    private func parseBufferedRequests(context: ChannelHandlerContext) {
        guard !self.isParsing else { return }
        self.isParsing = true
        defer { self.isParsing = false }
        while self.machine.isReadingRequests {
            if self.machine.isIdle {
                // Backpressure: the next request waits until the client has read enough of the answers.
                guard !self.isOutputBlocked else {
                    self.releaseParsedBytes(context: context)
                    return
                }
                if self.inbound.readableBytes > 0 {
                    self.perform(self.timeouts.requestBytesPending(now: context.eventLoop.now), context: context)
                }
            }
            let action: HTTP1RequestMachine.Action
            switch self.parser.next(from: &self.inbound) {
            case .needMoreData:
                self.releaseParsedBytes(context: context)
                return
            case .request(let head):
                action = self.machine.receivedRequest(head)
            case .head(let head):
                let streamed = self.dispatcher.requestBodyMode(for: head.request) == .streamed
                action = self.machine.receivedHead(head, streamed: streamed)
                if self.machine.isReceivingBody {
                    self.perform(self.timeouts.headCompleted(now: context.eventLoop.now), context: context)
                }
            case .body(let chunk):
                action = self.machine.receivedBody(chunk)
            case .end:
                action = self.machine.receivedEnd()
            case .failed(let error):
                action = self.machine.parseFailed(error)
            }
            self.perform(action, context: context)
        }
    }

    /// Lets go of a fully parsed read buffer now rather than at the next read (it is the thread's shared one), and
    /// copies a small partial request, or the partial body received so far, out of a much larger buffer.
    private func releaseParsedBytes(context: ChannelHandlerContext) {
        self.machine.releaseSharedBody(maxSlack: Self.maxRetainedSlack)
        if self.machine.isIdle { self.parser.trimReusedRequest() }
        let remaining = self.inbound.readableBytes
        if remaining == 0 {
            self.inbound = ByteBuffer()
        } else if self.inbound.capacity > Self.maxRetainedSlack * max(remaining, 1_024) {
            var compact = context.channel.allocator.buffer(capacity: remaining)
            compact.writeImmutableBuffer(self.inbound)
            self.inbound = compact
        }
    }

    private func perform(_ action: HTTP1RequestMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            return
        case .dispatchStreamed(let head, let stream, let sendsContinue):
            if sendsContinue { self.perform(.sendContinue, context: context) }
            self.dispatchStreamed(head, on: stream, context: context)
        case .streamBody(let piece):
            self.streamBody(piece, context: context)
        case .endStreamedBody:
            self.timeouts.requestCompleted()
            self.bodySource?.finish()
            self.bodySource = nil
        case .sendContinue:
            var buffer = context.channel.allocator.buffer(capacity: 25)
            buffer.writeStaticString("HTTP/1.1 100 Continue\r\n\r\n")
            // The client waits for this before it sends the body: flush now, not at the end of the batch.
            context.writeAndFlush(self.wrapOutboundOut(buffer), promise: nil)
        case .reject(let response, let plan):
            self.send(response, plan: plan, context: context)
            self.answeredItself(response, request: nil)
        case .refuseBody(let response, let plan):
            self.perform(self.timeouts.closed(), context: context)  // this is the last answer: no 408 after it
            self.inbound = ByteBuffer()  // nothing more is parsed: the read buffer is not held while draining
            self.startDraining(context: context)
            self.send(response, plan: plan, context: context)
            self.answeredItself(response, request: self.machine.refusedRequest)
        case .dispatch(let request, let stream):
            self.timeouts.requestCompleted()
            self.dispatcher.dispatch(request, on: stream, writer: self)
        case .close:
            context.close(promise: nil)
        }
    }

    // MARK: Outbound

    /// Sends the response for `stream`; ignored unless `stream` is the request awaiting its response.
    func write(_ response: consuming Response, for stream: StreamID) {
        guard let context = self.context else { return }
        switch self.machine.responseReady(response, for: stream) {
        case .drop:
            return
        case .write(let response, let plan):
            self.perform(self.timeouts.responseCompleted(now: context.eventLoop.now), context: context)
            self.send(response, plan: plan, context: context)
            self.answeredAfterBatch(plan, context: context)
        case .writeAbandoningBody(let response, let plan):
            self.abandonStreamedBody(context: context)
            self.send(response, plan: plan, context: context)
        }
    }

    /// A response is complete: the next pipelined request may already be buffered.
    func answeredAfterBatch(_ plan: HTTP1ResponsePlan, context: ChannelHandlerContext) {
        guard plan.keepAlive, !self.isParsing else { return }
        self.parseBufferedRequests(context: context)
        self.resumeReadingIfHeld(context: context)
    }

    /// The response is complete before the streamed request body: the rest of the body is dropped for a while
    /// (as after a refusal), then the connection closes.
    func abandonStreamedBody(context: ChannelHandlerContext) {
        self.bodySource?.fail(StreamingBodyError(.connectionClosed))
        self.bodySource = nil
        self.perform(self.timeouts.closed(), context: context)
        self.inbound = ByteBuffer()
        self.startDraining(context: context)
    }

    /// Writes the response as one buffer (two for a large body); closes after the write unless `plan.keepAlive`.
    private func send(_ response: Response, plan: HTTP1ResponsePlan, context: ChannelHandlerContext) {
        var outbound = self.buffers.take(.http1ResponseOut, minimumCapacity: 512)
        let writesBodySeparately = response.writeHTTP1(plan, date: self.date.now(), into: &outbound)
        self.buffers.recycle(outbound, as: .http1ResponseOut)
        let size = outbound.readableBytes + (writesBodySeparately ? response.body.readableBytes : 0)
        let last: ByteBuffer
        if writesBodySeparately {
            self.writeOut(outbound, context: context)
            last = response.body
        } else {
            last = outbound
        }
        if !plan.keepAlive {
            self.needsFlush = false
            let written = context.writeAndFlush(self.wrapOutboundOut(last))
            if self.drain != nil {
                written.assumeIsolated().whenComplete { [self] _ in self.drainAnswerWritten() }
            } else {
                let channel = context.channel
                written.whenComplete { _ in channel.close(promise: nil) }
            }
        } else if self.isInReadBatch {
            self.writeOut(last, context: context)
            self.needsFlush = true
            self.unflushedBytes += size
            if self.unflushedBytes >= Self.maxUnflushedBytes { self.flushIfNeeded(context: context) }
        } else {
            context.writeAndFlush(self.wrapOutboundOut(last), promise: nil)
        }
    }

    /// Whether buffered requests wait: one is being answered, or the client does not read the answers.
    private var isParsingHeld: Bool {
        !self.machine.isReadingRequests || (self.isOutputBlocked && self.machine.isIdle)
    }

    /// Whether reading waits: a client that pipelines faster than it is answered (or reads) is not buffered without
    /// bound, nor a streamed body the function reads more slowly than it arrives.
    private var isReadBlocked: Bool {
        if let source = self.bodySource, source.bufferedBytes >= self.maxUnreadStreamedBodyBytes { return true }
        return self.isParsingHeld && self.inbound.readableBytes >= Self.maxBufferedBytes
    }

    func read(context: ChannelHandlerContext) {
        if self.isReadBlocked {
            self.isReadHeld = true
            return
        }
        context.read()
    }

    func resumeReadingIfHeld(context: ChannelHandlerContext) {
        guard self.isReadHeld, !self.isReadBlocked else { return }
        self.isReadHeld = false
        context.read()
    }

    // MARK: Timeouts

    func perform(_ action: HTTP1TimeoutMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            return
        case .cancel:
            self.timer?.cancel()
            self.timer = nil
        case .arm(let fireTime):
            self.timer?.cancel()
            // Fails only on a loop that is shutting down, which closes the connection anyway.
            self.timer = try? context.eventLoop.assumeIsolated().scheduleCallback(at: fireTime, handler: self)
        }
    }

    /// The timer fired (``NIOScheduledCallbackHandler``).
    func handleScheduledCallback(eventLoop: some EventLoop) {
        self.timerFired()
    }

    private func timerFired() {
        self.timer = nil
        guard let context = self.context else { return }
        if let source = self.bodySource, source.bufferedBytes > 0 || self.isReadHeld {
            // The function has not read what arrived: the client is not the one that stalls.
            self.timeouts.bodyBytesReceived(now: context.eventLoop.now)
        }
        switch self.timeouts.timerFired(now: context.eventLoop.now) {
        case .none:
            return
        case .arm(let fireTime):
            // The timer checks in at least once per shortest timeout (30 s by default): a connection with nothing in
            // flight then lets go of the request it builds the next one from, which an idle one would keep for life.
            if self.machine.isIdle && self.inbound.readableBytes == 0 { self.parser.releaseReusedRequest() }
            self.perform(.arm(fireTime), context: context)
        case .close:
            self.machine.abort()
            context.close(promise: nil)
        case .answerRequestTimeout:
            self.bodySource?.fail(StreamingBodyError(.timedOut))
            self.bodySource = nil
            let isResponding = self.machine.isStreamingResponse
            // A streamed request was dispatched at its head: its function stops too.
            if let stream = self.machine.abort() { self.dispatcher.cancel(stream) }
            guard !isResponding else {
                context.close(promise: nil)  // a response is on the wire: no 408 can follow it
                return
            }
            let response = Response.problem(status: .requestTimeout, title: "Request timeout")
            self.send(response, plan: .closing, context: context)
            self.answeredItself(response, request: nil)
        }
    }

    /// Tells the dispatcher (and so the request's observers) of an answer given without dispatching.
    private func answeredItself(_ response: Response, request: HTTPRequest?) {
        let bodyBytes = request?.method == .head ? 0 : response.body.readableBytes
        self.dispatcher.answeredItself(status: response.status, bodyBytes: bodyBytes, request: request)
    }
}

@available(*, unavailable)
extension HTTP1ServerHandler: Sendable {}
