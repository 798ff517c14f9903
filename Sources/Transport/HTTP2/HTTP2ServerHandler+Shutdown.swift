import NIOCore

extension HTTP2ServerHandler {
    /// Graceful shutdown, step one: GOAWAY(2^31-1) tells the peer to stop opening streams, and the final
    /// GOAWAY with the last processed stream id follows after ``goawayDelay``.
    func beginQuiescing() {
        guard case .active = self.phase, let session = self.session, let context = self.context else { return }
        self.phase = .quiescing
        session.submitShutdownNotice()
        self.sendPendingOutput()
        self.goawayTimer = context.eventLoop.assumeIsolated().scheduleTask(in: Self.goawayDelay) {
            self.goawayTimer = nil
            self.sendFinalGoaway()
        }
    }

    /// Graceful shutdown, step two: streams up to the last processed id are still answered; the connection
    /// closes when the last of them ends (nghttp2 then wants neither to read nor to write).
    func sendFinalGoaway() {
        guard let session = self.session else { return }
        switch self.phase {
        case .active, .quiescing:
            self.phase = .draining(lastStreamID: session.lastProcessedStreamID)
            session.submitGoaway(code: .noError)
            self.sendPendingOutput()
        case .idle, .draining, .closed:
            break
        }
    }

    /// Notes whether the connection is idle (no stream open) and arms the idle timer when it became so.
    ///
    /// Opening a stream does not cancel the timer: it only clears ``idleSince``, and a timer that fires while
    /// the connection is busy, or idle for less than the timeout, just stops or re-arms itself. So a busy
    /// connection never schedules or cancels a timer per request.
    func updateIdleTimer() {
        guard self.streams.isEmpty, case .active = self.phase, let context = self.context else {
            self.idleSince = nil
            return
        }
        if self.idleSince == nil { self.idleSince = context.eventLoop.now }
        if self.idleTimer == nil { self.armIdleTimer(context: context) }
    }

    private func armIdleTimer(context: ChannelHandlerContext) {
        guard let idleSince = self.idleSince else { return }
        let deadline = idleSince + TimeAmount(self.limits.idleTimeout)
        self.idleTimer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.idleTimer = nil
            self.idleTimerFired()
        }
    }

    private func idleTimerFired() {
        // Busy again: the timer is armed again when the last stream closes.
        guard let idleSince = self.idleSince, self.streams.isEmpty, let context = self.context else { return }
        guard context.eventLoop.now >= idleSince + TimeAmount(self.limits.idleTimeout) else {
            self.armIdleTimer(context: context)  // streams came and went since it was armed: wait for the rest
            return
        }
        self.sendFinalGoaway()
        self.closeConnection()
    }
}
