import NIOCore

/// Decides when an HTTP/1.x connection times out: after ``ConnectionLimits/idleTimeout`` without a request,
/// ``ConnectionLimits/requestHeadTimeout`` after a request's first byte if its head is still incomplete, or
/// ``ConnectionLimits/requestBodyTimeout`` after the last byte of a body that is still incomplete.
///
/// Pure: the handler passes the time in and arms the one timer the machine asks for. Moving a deadline costs no
/// timer operation, which matters because every keep-alive request moves it twice and every read of a body once.
/// The armed timer fires no later than the earliest deadline that could be set after arming it (it fires at most
/// the shortest timeout after being armed), and when it fires early the machine asks for it to be armed again.
struct HTTP1TimeoutMachine {
    /// What the handler must do with its timer.
    enum Action: Equatable {
        case none
        /// Cancel the armed timer, if any, and arm one that fires at this time.
        case arm(NIODeadline)
        /// Cancel the armed timer.
        case cancel
    }

    /// What the handler must do when its timer fires.
    enum ExpiryAction: Equatable {
        case none
        /// Nothing expired yet: arm the timer again.
        case arm(NIODeadline)
        /// The connection was idle too long: close it.
        case close
        /// A request's head took too long to arrive, or its body stalled: answer 408 and close.
        case answerRequestTimeout
    }

    private enum Phase {
        case notStarted
        /// No request in flight and no byte of a new one.
        case idle
        /// A request's head is arriving.
        case readingHead
        /// A request's body is arriving.
        case readingBody
        /// The request is complete and being answered: no timeout applies.
        case processing
        case closed
    }

    private var phase = Phase.notStarted
    private var deadline: NIODeadline?
    private var armedFireTime: NIODeadline?
    private let idleTimeout: TimeAmount
    private let headTimeout: TimeAmount
    private let bodyTimeout: TimeAmount
    /// The longest the armed timer may wait: the shortest of the timeouts.
    private let longestWait: TimeAmount

    /// Creates the machine for a connection that is not active yet.
    init(idleTimeout: TimeAmount, headTimeout: TimeAmount, bodyTimeout: TimeAmount) {
        self.idleTimeout = idleTimeout
        self.headTimeout = headTimeout
        self.bodyTimeout = bodyTimeout
        self.longestWait = min(idleTimeout, headTimeout, bodyTimeout)
    }

    /// Whether a request body is arriving, so that every read moves its deadline (``bodyBytesReceived(now:)``).
    var isReadingBody: Bool {
        if case .readingBody = self.phase { return true }
        return false
    }

    /// The connection is active.
    mutating func start(now: NIODeadline) -> Action {
        guard case .notStarted = self.phase else { return .none }
        self.phase = .idle
        self.deadline = now + self.idleTimeout
        return self.armIfNeeded(now: now)
    }

    /// Bytes of a request are waiting to be parsed (new ones arrived, or pipelined ones are next).
    mutating func requestBytesPending(now: NIODeadline) -> Action {
        guard case .idle = self.phase else { return .none }
        self.phase = .readingHead
        self.deadline = now + self.headTimeout
        return self.armIfNeeded(now: now)
    }

    /// The request's head is complete and its body follows.
    mutating func headCompleted(now: NIODeadline) -> Action {
        guard case .readingHead = self.phase else { return .none }
        self.phase = .readingBody
        self.deadline = now + self.bodyTimeout
        return self.armIfNeeded(now: now)
    }

    /// Bytes of the body arrived: its no-progress deadline starts again.
    mutating func bodyBytesReceived(now: NIODeadline) {
        guard case .readingBody = self.phase else { return }
        self.deadline = now + self.bodyTimeout
    }

    /// The request in flight is complete (head and body) and dispatched.
    mutating func requestCompleted() {
        switch self.phase {
        case .readingHead, .readingBody:
            self.phase = .processing
            self.deadline = nil  // the armed timer finds no deadline when it fires and is not armed again
        case .notStarted, .idle, .processing, .closed:
            return
        }
    }

    /// The final response to the request in flight was written.
    mutating func responseCompleted(now: NIODeadline) -> Action {
        switch self.phase {
        case .readingHead, .readingBody, .processing:
            self.phase = .idle
            self.deadline = now + self.idleTimeout
            return self.armIfNeeded(now: now)
        case .notStarted, .idle, .closed:
            return .none
        }
    }

    /// The armed timer fired.
    mutating func timerFired(now: NIODeadline) -> ExpiryAction {
        self.armedFireTime = nil
        guard let deadline = self.deadline else { return .none }
        guard now >= deadline else {
            guard case .arm(let fireTime) = self.armIfNeeded(now: now) else { return .none }
            return .arm(fireTime)
        }
        switch self.phase {
        case .idle:
            self.phase = .closed
            return .close
        case .readingHead, .readingBody:
            self.phase = .closed
            return .answerRequestTimeout
        case .notStarted, .processing, .closed:
            return .none
        }
    }

    /// The connection closed: no timer may outlive it.
    mutating func closed() -> Action {
        self.phase = .closed
        self.deadline = nil
        guard self.armedFireTime != nil else { return .none }
        self.armedFireTime = nil
        return .cancel
    }

    private mutating func armIfNeeded(now: NIODeadline) -> Action {
        guard let deadline = self.deadline, self.armedFireTime == nil else { return .none }
        let fireTime = min(deadline, now + self.longestWait)
        self.armedFireTime = fireTime
        return .arm(fireTime)
    }
}
