import HTTPTypes
import Logging
import NIOCore

/// One accepted connection after its TLS handshake: runs each request through the middleware chain.
///
/// Its executor is the channel's event loop, so protocol handlers enter it with `assumeIsolated`
/// (no thread hop), and because middleware and functions are `nonisolated(nonsending)` they run on that
/// loop too. It owns, as isolated state, the values of its ``ConnectionStore`` (decisions made once per connection)
/// and the in-flight request tasks, which it cancels when the peer resets a stream or the connection closes.
///
/// A request whose whole chain can answer without suspending (``ImmediateResponder/respondImmediately(to:context:)``)
/// is answered right in `dispatch`, on the loop, with no task: most of what a small request cost beyond its I/O
/// was creating, running and finishing its task. Only the others get a task.
actor Connection {
    nonisolated let unownedExecutor: UnownedSerialExecutor
    /// Keeps the connection's executor (its loop's, shared) alive; the unowned reference above points at it.
    private nonisolated let executor: ConnectionExecutor
    /// The connection's fixed facts.
    nonisolated let info: ConnectionInfo
    nonisolated let eventLoop: any EventLoop
    private nonisolated let responder: any ImmediateResponder
    private nonisolated let logger: Logger
    /// Where each request's record goes; `nil` when nothing observes (no clock read, no record).
    nonisolated let observing: RequestObserving?
    /// What requests keep for the connection's life, reached through ``ConnectionStore``.
    private var stored = ConnectionStorage()
    private var inFlight: [StreamID: Task<Void, Never>] = [:]
    /// The stream whose task `received` is starting; cleared by the task when it finishes before `received`
    /// returns, so `received` knows whether to track it.
    private var starting: StreamID?
    /// The observed requests that went to a task, until their response is written or they are cancelled.
    var observedInFlight: [StreamID: ObservedRequest] = [:]

    init(
        info: ConnectionInfo,
        eventLoop: any EventLoop,
        responder: any ImmediateResponder,
        logger: Logger,
        observing: RequestObserving? = nil
    ) {
        // Requests start inline on both protocols (Benchmarks/README.md): HTTP/2 answers a whole read batch of
        // streams with one write, and HTTP/1.1 writes a response that needs no suspension before its read batch
        // ends, with no job scheduled for it.
        self.executor = ConnectionExecutor.shared(for: eventLoop)
        self.unownedExecutor = self.executor.asUnownedSerialExecutor()
        self.info = info
        self.eventLoop = eventLoop
        self.responder = responder
        self.logger = logger
        self.observing = observing
    }

    /// Starts answering `request`; the response goes to `writer` on the event loop.
    ///
    /// The task starts synchronously (we are on the loop, see ``ConnectionExecutor``): a chain that never
    /// suspends answers before this method returns, inside the protocol handler's read batch, and is never
    /// tracked. A task that suspends is tracked in `inFlight` until it finishes, its streamed body included.
    /// `response` is the chain's answer when the fast path already produced one whose body streams: the task then
    /// only sends it.
    func received(
        _ request: Request,
        context: RequestContext,
        on stream: StreamID,
        writer: NIOLoopBound<any ResponseWriter>,
        observed: ObservedRequest? = nil,
        response: Response? = nil
    ) {
        if let observed { self.observedInFlight[stream] = observed }
        self.starting = stream
        // Unstructured on purpose: one task per request, isolated to this actor (so on the event loop).
        // A suspended one is cancelled by `cancelStream(_:)` when the peer resets the stream, and by `closed()`.
        let task = Task.immediate {
            await self.answer(request, context: context, on: stream, writer: writer, response: response)
        }
        if self.starting == stream {
            self.starting = nil
            self.inFlight[stream] = task
        }
    }

    /// The body of a request's task: runs the chain (unless `response` is given) and sends the response, its
    /// streamed body included, unless the stream was reset.
    private func answer(
        _ request: Request,
        context: RequestContext,
        on stream: StreamID,
        writer: NIOLoopBound<any ResponseWriter>,
        response: Response?
    ) async {
        let response = if let response { response } else { await self.respond(to: request, context: context) }
        // Re-check after the suspension: the stream may have been reset meanwhile.
        guard self.starting == stream || (self.inFlight[stream] != nil && !Task.isCancelled) else { return }
        var streamedBytes: Int?
        if let body = response.streamedBody {
            streamedBytes = 0
            if let sink = writer.value.writeHead(response, for: stream) {
                await Self.send(body, to: sink, logger: self.logger)
                streamedBytes = sink.bytesWritten
            }
        } else {
            writer.value.write(response, for: stream)
        }
        if self.starting == stream {
            self.starting = nil  // finished inline: never tracked
        } else {
            self.inFlight.removeValue(forKey: stream)
        }
        if let observed = self.observedInFlight.removeValue(forKey: stream) {
            self.finish(observed, with: response, streamedBytes: streamedBytes)
        }
    }

    /// Runs a streamed body's producer into `sink`: it completes the body when the producer returns, and breaks it
    /// off when the producer throws.
    private static func send(_ body: ResponseBody, to sink: ResponseBodySink, logger: Logger) async {
        do {
            try await body.write(to: ResponseBodyWriter(sink: sink))
            sink.finish()
        } catch {
            if !(error is StreamingBodyError) && !(error is CancellationError) {
                logger.error("response body failed", metadata: ["error": "\(String(reflecting: error))"])
            }
            sink.abort()
        }
    }

    /// Stops work on `stream`; no response will be written for it.
    func cancelStream(_ stream: StreamID) {
        self.inFlight.removeValue(forKey: stream)?.cancel()
        if let observed = self.observedInFlight.removeValue(forKey: stream) { self.finishUnanswered(observed) }
    }

    /// The channel closed: cancel everything still running, and let go of what the requests stored (a decision
    /// holds the caller's identity and certificates) rather than keep it until the last task ends.
    func closed() {
        for task in self.inFlight.values { task.cancel() }
        self.inFlight.removeAll()
        for observed in self.observedInFlight.values { self.finishUnanswered(observed) }
        self.observedInFlight.removeAll()
        self.stored = ConnectionStorage()
    }

    /// Runs the chain, turning errors into responses: an ``HTTPResponseError`` answers with its own
    /// response, anything else is logged and answered with a bare 500.
    private func respond(to request: Request, context: RequestContext) async -> Response {
        do {
            return try await self.responder.respond(to: request, context: context)
        } catch {
            return self.response(for: error, to: request)
        }
    }

    /// The chain's answer if it can answer without suspending (``ImmediateResponder/respondImmediately(to:context:)``),
    /// with errors turned into responses as in ``respond(to:context:)``; `nil` when a task is needed.
    nonisolated func respondImmediately(to request: Request, context: consuming RequestContext) -> Response? {
        do {
            return try self.responder.respondImmediately(to: request, context: context)
        } catch {
            return self.response(for: error, to: request)
        }
    }

    /// An ``HTTPResponseError`` answers with its own response; anything else is logged and answered with a bare 500.
    private nonisolated func response(for error: any Error, to request: Request) -> Response {
        if let error = error as? any HTTPResponseError { return error.response }
        self.logger.error(
            "request failed",
            metadata: [
                "connection": "\(self.info.id)", "path": "\(request.path)", "error": "\(String(reflecting: error))",
            ]
        )
        return .problem(status: .internalServerError, title: "Internal server error")
    }
}

extension Connection: RequestDispatcher {
    nonisolated func dispatch(_ request: Request, on stream: StreamID, writer: any ResponseWriter) {
        if let observing = self.observing {
            self.dispatchObserved(request, on: stream, writer: writer, observing: observing)
            return
        }
        // Most requests never suspend: answered here, on the event loop, they need no task at all.
        // Bound straight from the call and used by one branch only, so that the response is not copied. The chain
        // takes the context (it is not copied as it changes); a task gets a new one, as a chain that declines
        // leaves no trace and the task only sends an answer the chain gave.
        guard let response = self.respondImmediately(to: request, context: self.newRequestContext()) else {
            self.startTask(request, context: self.newRequestContext(), on: stream, writer: writer, response: nil)
            return
        }
        if response.streamedBody == nil {
            writer.write(response, for: stream)
        } else {
            self.startTask(request, context: self.newRequestContext(), on: stream, writer: writer, response: response)
        }
    }

    /// The context a request starts with when nothing observes it.
    private nonisolated func newRequestContext() -> RequestContext {
        RequestContext(connection: self.info, connectionStore: ConnectionStore(connection: self))
    }

    /// Answers on a task: the chain suspends, or its answer's body streams.
    private nonisolated func startTask(
        _ request: Request,
        context: RequestContext,
        on stream: StreamID,
        writer: any ResponseWriter,
        response: Response?
    ) {
        let writer = NIOLoopBound(writer, eventLoop: self.eventLoop)
        self.assumeIsolated { $0.received(request, context: context, on: stream, writer: writer, response: response) }
    }

    nonisolated func cancel(_ stream: StreamID) {
        self.assumeIsolated { $0.cancelStream(stream) }
    }

    /// Told by the protocol handler rather than through a callback on the channel's close future, which would stay
    /// allocated for the connection's life.
    nonisolated func connectionClosed() {
        self.assumeIsolated { $0.closed() }
    }

    nonisolated func requestBodyMode(for head: HTTPRequest) -> RequestBodyMode {
        self.responder.requestBodyMode(for: head)
    }
}

extension Connection {
    /// The value stored under `key`; `nil` off the event loop, where the connection's state cannot be reached.
    nonisolated func storedBox(for key: ObjectIdentifier) -> (any AnyObject & Sendable)? {
        guard self.eventLoop.inEventLoop else { return nil }
        return self.onLoop(key) { connection, key in connection.stored.box(for: key) }
    }

    /// Stores `box` under `key` (removes the value when `nil`): at once on the event loop, else on it soon after.
    nonisolated func store(_ box: (any AnyObject & Sendable)?, for key: ObjectIdentifier) {
        guard self.eventLoop.inEventLoop else {
            self.eventLoop.execute { self.assumeIsolated { $0.stored.set(box, for: key) } }
            return
        }
        self.onLoop((box, key)) { connection, entry in connection.stored.set(entry.0, for: entry.1) }
    }

    /// `assumeIsolated` for a caller that has checked `eventLoop.inEventLoop`, which is what isolation to this
    /// actor means (``ConnectionExecutor/isIsolatingCurrentContext()``). The runtime's own check costs about
    /// 1,500 instructions when no task runs (a request answered in `dispatch`), on every store access.
    /// The operation takes its input as an argument, not a capture, so that its closure needs no context; it is
    /// `@escaping` (yet never kept) because `withoutActuallyEscaping` would put it in a heap box on every call.
    @inline(__always)
    private nonisolated func onLoop<Input, T>(
        _ input: Input,
        _ operation: @escaping (isolated Connection, Input) -> T
    ) -> T {
        unsafeBitCast(operation, to: ((Connection, Input) -> T).self)(self, input)
    }
}
