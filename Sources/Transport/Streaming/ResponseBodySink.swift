import NIOCore

/// Where a protocol handler takes a streamed response body: implemented by the HTTP/1.1 and HTTP/2 handlers.
///
/// Only ever called on the channel's event loop.
protocol ResponseBodyTarget: AnyObject {
    /// Sends a piece of `stream`'s body. Returns whether the producer may write again at once; when `false` it
    /// waits until the handler calls the sink's ``ResponseBodySink/resume()``.
    func sendBody(_ buffer: ByteBuffer, for stream: StreamID) -> Bool
    /// The body is complete.
    func endBody(for stream: StreamID)
    /// The producer failed: the response must reach the client visibly broken (close, or reset the stream).
    func abortBody(for stream: StreamID)
}

/// One streamed response body in flight: the link between the ``ResponseBodyWriter`` of the request's task and the
/// protocol handler that sends it.
///
/// Its state is touched only on the event loop; a write from elsewhere hops there first.
// @unchecked Sendable: every mutable field is read and written on `eventLoop` only (writes hop there first).
final class ResponseBodySink: @unchecked Sendable {
    let eventLoop: any EventLoop
    let stream: StreamID
    private weak var target: (any ResponseBodyTarget)?
    private let contentLength: Int?
    /// How long a write may wait for the client to take bytes before the response is broken off.
    private let stallTimeout: TimeAmount
    private var waiting: EventLoopPromise<Void>?
    private var stallTimer: Scheduled<Void>?
    private var failure: StreamingBodyError?
    private var isEnded = false
    /// Body bytes handed to the handler.
    private(set) var bytesWritten = 0

    /// A sink for `stream`'s body on `target`; `contentLength` when the head announced one. A client that takes
    /// nothing for `stallTimeout` while the producer waits gets the response broken off.
    init(
        target: any ResponseBodyTarget,
        stream: StreamID,
        contentLength: Int?,
        stallTimeout: TimeAmount,
        eventLoop: any EventLoop
    ) {
        self.target = target
        self.stream = stream
        self.contentLength = contentLength
        self.stallTimeout = stallTimeout
        self.eventLoop = eventLoop
    }

    /// Hands `buffer` to the handler, then waits if it asks the producer to.
    func write(_ buffer: ByteBuffer) async throws {
        if self.eventLoop.inEventLoop {
            if let wait = self.writeOnLoop(buffer) { try await wait.get() }
        } else {
            try await self.eventLoop.flatSubmit {
                self.writeOnLoop(buffer) ?? self.eventLoop.makeSucceededVoidFuture()
            }.get()
        }
    }

    /// `nil` when the producer may go on at once, else a future that completes when it may (or fails).
    private func writeOnLoop(_ buffer: ByteBuffer) -> EventLoopFuture<Void>? {
        if let failure = self.failure { return self.eventLoop.makeFailedFuture(failure) }
        guard !self.isEnded, let target = self.target else {
            return self.eventLoop.makeFailedFuture(StreamingBodyError(.connectionClosed))
        }
        guard buffer.readableBytes > 0 else { return nil }
        self.bytesWritten += buffer.readableBytes
        if let contentLength = self.contentLength, self.bytesWritten > contentLength {
            self.fail(StreamingBodyError(.lengthMismatch))
            target.abortBody(for: self.stream)
            return self.eventLoop.makeFailedFuture(StreamingBodyError(.lengthMismatch))
        }
        guard !target.sendBody(buffer, for: self.stream) else { return nil }
        if let failure = self.failure { return self.eventLoop.makeFailedFuture(failure) }
        let promise = self.eventLoop.makePromise(of: Void.self)
        self.waiting = promise
        self.stallTimer = self.eventLoop.scheduleTask(in: self.stallTimeout) { [self] in self.stalled() }
        return promise.futureResult
    }

    /// The client took nothing for the stall timeout: the response is broken off, the producer's write throws.
    private func stalled() {
        self.stallTimer = nil
        guard self.waiting != nil, let target = self.target else { return }
        self.fail(StreamingBodyError(.timedOut))
        target.abortBody(for: self.stream)
    }

    /// The producer returned: the body is complete, unless it fell short of its `Content-Length`. On the loop.
    func finish() {
        guard self.failure == nil, !self.isEnded else { return }
        self.isEnded = true
        if let contentLength = self.contentLength, self.bytesWritten != contentLength {
            self.target?.abortBody(for: self.stream)
        } else {
            self.target?.endBody(for: self.stream)
        }
    }

    /// The producer threw: break the response off. On the loop.
    func abort() {
        guard self.failure == nil, !self.isEnded else { return }
        self.isEnded = true
        self.target?.abortBody(for: self.stream)
    }

    /// The handler may take more: a waiting producer goes on. On the loop.
    func resume() {
        self.stallTimer.take()?.cancel()
        self.waiting.take()?.succeed()
    }

    /// The client can no longer receive the body: a waiting write and every later one throw `error`. On the loop.
    func fail(_ error: StreamingBodyError) {
        guard self.failure == nil else { return }
        self.failure = error
        self.stallTimer.take()?.cancel()
        self.waiting.take()?.fail(error)
    }
}
