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
}
