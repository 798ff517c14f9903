/// Which of the two HTTP/1.1 connection timers runs: at most one at a time.
enum HTTP1Timer: Equatable {
    /// No request in flight and no bytes of a new one: close when it fires.
    case idle
    /// A request started but its head and body are not complete: answer 408 and close when it fires.
    case requestRead
}

/// What ``HTTP1ServerHandler`` tells ``HTTP1TimeoutHandler`` about the request in flight, as outbound user events.
enum HTTP1TimeoutEvent {
    /// A request head was decoded.
    case requestStarted
    /// A request was complete (head and body) and dispatched.
    case requestCompleted
    /// The final response to the request in flight is being written.
    case responseCompleted
}

/// Decides which timer runs on an HTTP/1.1 connection. Pure: ``HTTP1TimeoutHandler`` schedules and cancels.
struct HTTP1TimeoutMachine {
    /// What the handler must do with its timer.
    enum Action: Equatable {
        case none
        /// Cancel the running timer, if any, and start `timer`.
        case start(HTTP1Timer)
        /// Cancel the running timer.
        case cancel
    }

    /// What the handler must do when a timer fires.
    enum ExpiryAction: Equatable {
        case none
        /// Close the connection.
        case close
        /// Write a 408 response and close the connection.
        case answerRequestTimeout
    }

    private enum State {
        case notStarted
        case idle
        case readingRequest
        case processing
        case closed
    }

    private var state: State = .notStarted

    /// Creates a machine for a connection that is not active yet.
    init() {}

    /// The connection is active.
    mutating func start() -> Action {
        guard case .notStarted = self.state else { return .none }
        self.state = .idle
        return .start(.idle)
    }

    /// Bytes arrived from the client.
    mutating func bytesReceived() -> Action {
        guard case .idle = self.state else { return .none }
        self.state = .readingRequest
        return .start(.requestRead)
    }

    /// The HTTP handler reported progress of the request in flight.
    mutating func received(_ event: HTTP1TimeoutEvent) -> Action {
        switch (event, self.state) {
        case (_, .notStarted), (_, .closed):
            return .none
        case (.requestStarted, .idle):
            self.state = .readingRequest
            return .start(.requestRead)
        case (.requestStarted, _):
            return .none
        case (.requestCompleted, .idle), (.requestCompleted, .readingRequest):
            self.state = .processing
            return .cancel
        case (.requestCompleted, .processing):
            return .none
        case (.responseCompleted, .idle):
            return .none
        case (.responseCompleted, .readingRequest), (.responseCompleted, .processing):
            self.state = .idle
            return .start(.idle)
        }
    }

    /// `timer` fired (the handler cancels a replaced timer, so this is the running one).
    mutating func expired(_ timer: HTTP1Timer) -> ExpiryAction {
        switch (timer, self.state) {
        case (.idle, .idle):
            self.state = .closed
            return .close
        case (.requestRead, .readingRequest):
            self.state = .closed
            return .answerRequestTimeout
        case (.idle, _), (.requestRead, _):
            return .none
        }
    }

    /// The connection closed: no timer may outlive it.
    mutating func closed() -> Action {
        self.state = .closed
        return .cancel
    }
}
