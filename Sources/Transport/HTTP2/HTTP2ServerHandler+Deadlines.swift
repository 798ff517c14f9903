import NIOCore

/// Every state a peer can leave a connection in is bounded in time and memory:
/// - a request head or a header block not complete within ``ConnectionLimits/requestHeadTimeout`` → GOAWAY and close;
/// - a request body that receives nothing for ``ConnectionLimits/requestBodyTimeout`` → 408 on that stream only;
/// - no stream progress (no request frame in, no response frame out) for ``ConnectionLimits/idleTimeout``, with
///   no response owed by the dispatcher → GOAWAY and close;
/// - request-body bytes held for incomplete requests → the connection window is reopened only as they are
///   released (``releaseBodyBudget()``).
///
/// One timer per connection serves all deadlines. Progress only moves times forward, so a busy connection
/// never schedules or cancels a timer per request: the timer fires at the earliest known deadline, and no later
/// than the shorter of the head and body timeouts after it was armed (a deadline set meanwhile is never
/// earlier); when it fires it acts on what expired and arms itself again.
extension HTTP2ServerHandler: NIOScheduledCallbackHandler {
    func armDeadlineTimer(context: ChannelHandlerContext) {
        let now = context.eventLoop.now
        let headTimeout = TimeAmount(self.limits.requestHeadTimeout)
        let bodyTimeout = TimeAmount(self.limits.requestBodyTimeout)
        var fireTime = now + min(headTimeout, bodyTimeout)
        // While the dispatcher owes a response the connection is not idle: checked again at the next firing.
        // Otherwise the idle deadline counts even when it passed a moment ago (the clock moves between the
        // firing's check and this line; skipping it then would postpone the close by a whole head timeout).
        if !self.streams.isAwaitingResponse {
            fireTime = min(fireTime, max(now, self.lastProgress + TimeAmount(self.limits.idleTimeout)))
        }
        if let started = self.headerBlockStartedAt { fireTime = min(fireTime, started + headTimeout) }
        if let body = self.streams.nextBodyDeadline(timeout: bodyTimeout) { fireTime = min(fireTime, body) }
        // A callback on this handler, not a task: an idle connection's armed timer is only its slot in the event
        // loop's queue (a task adds a promise and two closure contexts). Fails only on a loop that is shutting down,
        // which closes the connection anyway.
        self.deadlineTimer = try? context.eventLoop.assumeIsolated().scheduleCallback(at: fireTime, handler: self)
    }

    /// The deadline timer fired (``NIOScheduledCallbackHandler``).
    func handleScheduledCallback(eventLoop: some EventLoop) {
        self.deadlineTimer = nil
        self.deadlineTimerFired()
    }

    private func deadlineTimerFired() {
        guard let context = self.context, self.session != nil else { return }
        switch self.phase {
        case .idle, .closed: return
        case .active, .quiescing, .draining: break
        }
        let now = context.eventLoop.now
        if let started = self.headerBlockStartedAt, now >= started + TimeAmount(self.limits.requestHeadTimeout) {
            self.closeWithGoaway(reason: "request head timeout")
            return
        }
        self.noteStreamedBodyProgress(now: now)
        let stalled = self.streams.expireStalledBodies(now: now, timeout: TimeAmount(self.limits.requestBodyTimeout))
        for (stream, action) in stalled {
            self.perform(action, on: stream)
            self.streamedBodyTimedOut(stream)
        }
        if !stalled.isEmpty {
            self.releaseBodyBudget()
            self.sendPendingOutput()
        }
        if now >= self.lastProgress + TimeAmount(self.limits.idleTimeout), !self.streams.isAwaitingResponse {
            self.closeWithGoaway(reason: "idle timeout")
            return
        }
        if case .closed = self.phase { return }
        self.armDeadlineTimer(context: context)
    }

    /// When the oldest header block still incomplete began: a request head not complete yet (its HEADERS frame may
    /// itself be partial), or any block waiting for CONTINUATION frames.
    private var headerBlockStartedAt: NIODeadline? {
        switch (self.streams.incomingHeadStartedAt, self.continuedBlockStartedAt) {
        case (let head?, let block?): min(head, block)
        case (let head, let block): head ?? block
        }
    }

    /// GOAWAY (NO_ERROR, with `reason` as debug data), then close.
    func closeWithGoaway(reason: StaticString) {
        switch self.phase {
        case .active, .quiescing:
            guard let session = self.session else { break }
            self.phase = .draining(lastStreamID: session.lastProcessedStreamID)
            session.submitGoaway(code: .noError, reason: reason)
            self.sendPendingOutput()
        case .idle, .draining, .closed:
            break  // no GOAWAY yet to send, or the final one is out already
        }
        self.closeConnection()
    }

    /// Returns the body bytes that streams let go of to the connection window, and when the peer is out of
    /// window while several requests hold bodies, refuses the newest of them until it may send again: a client
    /// whose concurrent uploads together exceed the budget retries some instead of all waiting forever.
    func releaseBodyBudget() {
        guard let session = self.session else { return }
        session.consumeConnection(self.streams.takeReleasedBodyBytes())
        let window = HTTP2ServerSession.connectionWindow(self.limits)
        while self.streams.heldBodyBytes >= window / 2, session.availableConnectionWindow < Self.refusalThreshold,
            let (stream, action) = self.streams.refuseNewestHoldingBody()
        {
            self.perform(action, on: stream)
            session.consumeConnection(self.streams.takeReleasedBodyBytes())
        }
    }

    /// The connection window below which the peer counts as blocked: less than one default-size DATA frame.
    private static let refusalThreshold = 16_384
}
