import GatehouseTransport
import NIOCore
import NIOPosix
import Synchronization

/// The connections of one ``HTTPClient``, keyed by origin.
///
/// One HTTP/2 connection per origin is shared by every request; concurrent first requests wait for the one
/// connection attempt instead of each opening their own. HTTP/1.1 connections carry one request at a time and
/// are kept for reuse when the response left them open. With a bound, at most that many connections to one origin
/// are open or opening at a time; a request that finds them all busy waits, first come first served (one woken for a
/// connection a new request took first waits again among the oldest), until one is released or closes — at most
/// `maxWaiting` requests per origin (one more fails at once with ``ClientError/Code/connectionsBusy``), each at most
/// `waitTimeout` (then ``ClientError/Code/timeout``).
final class ConnectionPool: Sendable {
    private enum Shared {
        case connecting(Task<ClientConnection, any Error>)
        case ready(ClientConnection)
    }

    private struct State {
        var shared: [ClientConnection.Origin: Shared] = [:]
        var idle: [ClientConnection.Origin: [ClientConnection]] = [:]
        var all: [ObjectIdentifier: ClientConnection] = [:]
        /// Connections open or opening per origin, counted against the bound.
        var counts: [ClientConnection.Origin: Int] = [:]
        /// Leases waiting for a connection to an origin at its bound, oldest first (so in deadline order).
        var waiters: [ClientConnection.Origin: [Waiter]] = [:]
        /// Per origin with waiters, the one timer that ends the waits of those whose deadline has passed.
        var expiryTimers: [ClientConnection.Origin: ExpiryTimer] = [:]
        var nextWaiter: UInt64 = 0
        var nextTimer: UInt64 = 0
        var isShutDown = false

        /// Wakes the lease that has waited longest for `origin`, to look again.
        mutating func wakeOne(_ origin: ClientConnection.Origin) {
            guard let waiter = self.waiters[origin]?.first else { return }
            self.waiters[origin]?.removeFirst()
            waiter.continuation.resume()
        }

        /// Forgets the shared connection attempt `task` to `origin`, unless a newer one has taken its place.
        mutating func forgetSharedConnect(_ task: Task<ClientConnection, any Error>, to origin: ClientConnection.Origin)
        {
            if case .connecting(let current) = self.shared[origin], current == task { self.shared[origin] = nil }
        }

        /// Takes waiter `id` out of the queue for `origin`; `nil` when it is no longer there.
        mutating func removeWaiter(_ id: UInt64, of origin: ClientConnection.Origin) -> Waiter? {
            guard let index = self.waiters[origin]?.firstIndex(where: { $0.id == id }) else { return nil }
            return self.waiters[origin]?.remove(at: index)
        }
    }

    /// A lease waiting for a connection, until its deadline.
    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Void, any Error>
        let deadline: ContinuousClock.Instant
    }

    /// The timer of an origin's queue, set for its oldest waiter's deadline.
    ///
    /// One per queue, not one per waiter: at thousands of waits a second, a timer each (scheduled and cancelled on
    /// the event loop's heap, or a sleeping `Task` that stays allocated until its deadline when cancelled) cost a
    /// fifth of a gateway's HTTP/2 throughput or 60 MiB.
    private struct ExpiryTimer {
        let deadline: ContinuousClock.Instant
        let scheduled: Scheduled<Void>
        let id: UInt64
    }

    /// A connection lent for one request.
    struct Lease {
        let connection: ClientConnection
        /// Whether the connection goes back to the idle list after the request (HTTP/1.1).
        let isExclusive: Bool
    }

    private let state = Mutex(State())
    private let connect: @Sendable (ClientConnection.Origin) async throws -> ClientConnection
    private let sharesConnections: Bool
    private let maxConnections: Int?
    private let maxWaiting: Int?
    private let waitTimeout: Duration
    private let timers: any EventLoopGroup

    /// - Parameters:
    ///   - sharesConnections: whether a first connection may turn out to be HTTP/2 (not when only HTTP/1.1 is
    ///     offered), so concurrent requests should wait for it.
    ///   - maxConnections: the most connections per origin; `nil` for no bound.
    ///   - maxWaiting: the most requests waiting for a connection to one origin at its bound; `nil` for no bound.
    ///   - waitTimeout: the longest a request waits for a connection at the bound.
    ///   - timers: where the wait timeouts run.
    ///   - connect: opens a new connection.
    init(
        sharesConnections: Bool,
        maxConnections: Int? = nil,
        maxWaiting: Int? = nil,
        waitTimeout: Duration,
        timers: any EventLoopGroup,
        connect: @escaping @Sendable (ClientConnection.Origin) async throws -> ClientConnection
    ) {
        self.sharesConnections = sharesConnections
        self.maxConnections = maxConnections.map { max(1, $0) }
        self.maxWaiting = maxWaiting.map { max(0, $0) }
        self.waitTimeout = waitTimeout
        self.timers = timers
        self.connect = connect
    }

    /// A usable connection to `origin`: the shared HTTP/2 one, an idle HTTP/1.1 one, or a new one.
    func lease(_ origin: ClientConnection.Origin) async throws -> Lease {
        try await self.lease(origin, waitedUntil: nil)
    }

    /// A lease that may already have waited for a slot, until `deadline`: if it must wait again (a new request took
    /// the connection it was woken for), it waits among the oldest and until that first deadline.
    private func lease(
        _ origin: ClientConnection.Origin,
        waitedUntil deadline: ContinuousClock.Instant?
    ) async throws -> Lease {
        enum Step {
            case use(Lease)
            case wait(Task<ClientConnection, any Error>)
            case connectShared(Task<ClientConnection, any Error>)
            case connectExclusive
            case waitForSlot
        }
        let step: Step = try self.state.withLock { state in
            if state.isShutDown { throw ClientError(.shutdown, "the client has been shut down") }
            switch state.shared[origin] {
            case .ready(let connection) where connection.isUsable:
                return .use(Lease(connection: connection, isExclusive: false))
            case .connecting(let task):
                return .wait(task)
            case .ready, .none:
                state.shared[origin] = nil
            }
            while let connection = state.idle[origin]?.popLast() {
                if connection.isUsable { return .use(Lease(connection: connection, isExclusive: true)) }
            }
            if let max = self.maxConnections, state.counts[origin, default: 0] >= max { return .waitForSlot }
            state.counts[origin, default: 0] += 1
            guard self.sharesConnections else { return .connectExclusive }
            // Not cancelled: awaited by this lease and every waiting one; connecting has its own timeout.
            let task = Task { try await self.connect(origin) }
            state.shared[origin] = .connecting(task)
            return .connectShared(task)
        }
        switch step {
        case .use(let lease):
            return lease
        case .wait(let task):
            let connection = try await task.value
            if connection.httpVersion == .http2 { return Lease(connection: connection, isExclusive: false) }
            // HTTP/1.1 is its leaser's alone. Forgotten here too, because the leaser may not have run since the
            // attempt ended: leasing again while it is still the shared attempt would find it again, without end.
            self.state.withLock { $0.forgetSharedConnect(task, to: origin) }
            return try await self.lease(origin, waitedUntil: deadline)
        case .connectShared(let task):
            return try await self.finishSharedConnect(task, origin: origin)
        case .connectExclusive:
            let connection: ClientConnection
            do {
                connection = try await self.connect(origin)
            } catch {
                self.connectFailed(origin)
                throw error
            }
            return Lease(connection: self.track(connection), isExclusive: true)
        case .waitForSlot:
            let until = deadline ?? .now + self.waitTimeout
            try await self.waitForSlot(origin, until: until, waitingAgain: deadline != nil)
            return try await self.lease(origin, waitedUntil: until)
        }
    }

    /// Waits until a connection to `origin` is released or closes, at most until `deadline`; among the oldest when
    /// `waitingAgain`.
    private func waitForSlot(
        _ origin: ClientConnection.Origin,
        until deadline: ContinuousClock.Instant,
        waitingAgain: Bool
    ) async throws {
        let id = self.state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome: Result<Bool, any Error> = self.state.withLock { state in
                    if state.isShutDown { return .failure(ClientError(.shutdown, "the client has been shut down")) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    // A connection closed or came back since the lease looked: its wake-up found no waiter yet.
                    let hasIdle = !(state.idle[origin]?.isEmpty ?? true)
                    if hasIdle || state.counts[origin, default: 0] < (self.maxConnections ?? .max) {
                        return .success(true)
                    }
                    let waiting = state.waiters[origin]?.count ?? 0
                    if let maxWaiting = self.maxWaiting, waiting >= maxWaiting {
                        return .failure(self.busy(waiting: waiting))
                    }
                    let waiter = Waiter(id: id, continuation: continuation, deadline: deadline)
                    let place = Self.place(of: deadline, waitingAgain: waitingAgain, in: state.waiters[origin] ?? [])
                    state.waiters[origin, default: []].insert(waiter, at: place)
                    self.armExpiry(of: origin, at: deadline, in: &state)
                    return .success(false)
                }
                switch outcome {
                case .failure(let error): continuation.resume(throwing: error)
                case .success(true): continuation.resume()
                case .success(false): break
                }
            }
        } onCancel: {
            let waiter = self.state.withLock { $0.removeWaiter(id, of: origin) }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Where a waiter with `deadline` goes in `queue`: a new one last (its deadline is the latest); one waiting again
    /// among the oldest, before the first with a later deadline.
    private static func place(of deadline: ContinuousClock.Instant, waitingAgain: Bool, in queue: [Waiter]) -> Int {
        guard waitingAgain else { return queue.count }
        return queue.firstIndex { $0.deadline > deadline } ?? queue.count
    }

    /// Makes sure `origin`'s queue timer fires by `deadline`.
    private func armExpiry(
        of origin: ClientConnection.Origin,
        at deadline: ContinuousClock.Instant,
        in state: inout State
    ) {
        if let armed = state.expiryTimers[origin], armed.deadline <= deadline { return }
        state.expiryTimers[origin]?.scheduled.cancel()
        state.nextTimer += 1
        let id = state.nextTimer
        // On the caller's loop when it runs on one (a gateway's requests do): no other thread to wake.
        let loop = MultiThreadedEventLoopGroup.currentEventLoop ?? self.timers.next()
        let scheduled = loop.scheduleTask(in: TimeAmount(max(.zero, deadline - .now))) {
            self.expireWaiters(of: origin, timer: id)
        }
        state.expiryTimers[origin] = ExpiryTimer(deadline: deadline, scheduled: scheduled, id: id)
    }

    /// Ends with a timeout the waits of `origin`'s waiters whose deadline has passed (the oldest ones), and sets the
    /// queue's timer for the next deadline; `timer` is the firing timer's id (a replaced one leaves that to its
    /// successor).
    private func expireWaiters(of origin: ClientConnection.Origin, timer: UInt64) {
        let expired: [Waiter] = self.state.withLock { state in
            let isCurrent = state.expiryTimers[origin]?.id == timer
            if isCurrent { state.expiryTimers[origin] = nil }
            let now = ContinuousClock.now
            var expired: [Waiter] = []
            while let oldest = state.waiters[origin]?.first, oldest.deadline <= now {
                expired.append(oldest)
                state.waiters[origin]?.removeFirst()
            }
            if isCurrent, let next = state.waiters[origin]?.first?.deadline {
                self.armExpiry(of: origin, at: next, in: &state)
            }
            return expired
        }
        guard !expired.isEmpty else { return }
        let bound = self.maxConnections.map { "all \($0) connections to it are busy" } ?? "its connections are busy"
        let error = ClientError(
            .timeout,
            "no connection to the server came free within \(self.waitTimeout) (\(bound))"
        )
        for waiter in expired { waiter.continuation.resume(throwing: error) }
    }

    /// The error for a request that finds every connection busy and `waiting` requests already waiting.
    private func busy(waiting: Int) -> ClientError {
        let connections = self.maxConnections.map { "all \($0) connections" } ?? "every connection"
        return ClientError(
            .connectionsBusy,
            "\(connections) to the server are busy and \(waiting) requests already wait for one"
        )
    }

    /// A connection attempt to `origin` failed: its place is free.
    private func connectFailed(_ origin: ClientConnection.Origin) {
        self.state.withLock { state in
            state.counts[origin, default: 1] -= 1
            state.wakeOne(origin)
        }
    }

    private func finishSharedConnect(_ task: Task<ClientConnection, any Error>, origin: ClientConnection.Origin)
        async throws -> Lease
    {
        let connection: ClientConnection
        do {
            connection = try await task.value
        } catch {
            self.state.withLock { $0.forgetSharedConnect(task, to: origin) }
            self.connectFailed(origin)
            throw error
        }
        let isHTTP2 = connection.httpVersion == .http2
        self.state.withLock { state in
            // HTTP/1.1 cannot be shared: the waiters connect on their own.
            if isHTTP2 {
                state.shared[origin] = .ready(connection)
            } else {
                state.forgetSharedConnect(task, to: origin)
            }
        }
        return Lease(connection: self.track(connection), isExclusive: !isHTTP2)
    }

    /// Remembers `connection` for shutdown and forgets it when it closes.
    private func track(_ connection: ClientConnection) -> ClientConnection {
        let id = ObjectIdentifier(connection)
        let isShutDown = self.state.withLock { state in
            state.all[id] = connection
            return state.isShutDown
        }
        if isShutDown { connection.channel.close(promise: nil) }
        connection.channel.closeFuture.whenComplete { _ in
            self.state.withLock { state in
                state.all[id] = nil
                state.counts[connection.origin, default: 1] -= 1
                state.wakeOne(connection.origin)
                state.idle[connection.origin]?.removeAll { $0 === connection }
                if case .ready(let shared) = state.shared[connection.origin], shared === connection {
                    state.shared[connection.origin] = nil
                }
            }
        }
        return connection
    }

    /// How many requests wait for a connection to `origin`.
    func waitingCount(for origin: ClientConnection.Origin) -> Int {
        self.state.withLock { $0.waiters[origin]?.count ?? 0 }
    }

    /// Returns an exclusive connection after its request; kept for reuse when it is still open.
    func release(_ lease: Lease) {
        guard lease.isExclusive, lease.connection.isUsable else { return }
        self.state.withLock { state in
            if state.isShutDown { return }
            state.idle[lease.connection.origin, default: []].append(lease.connection)
            state.wakeOne(lease.connection.origin)
        }
    }

    /// Closes every connection; later leases fail with ``ClientError/Code/shutdown``.
    func shutdown() async {
        let (connections, pending) = self.state.withLock { state in
            state.isShutDown = true
            let pending = state.shared.values.compactMap { shared -> Task<ClientConnection, any Error>? in
                if case .connecting(let task) = shared { return task }
                return nil
            }
            defer {
                state.shared = [:]
                state.idle = [:]
            }
            for waiters in state.waiters.values {
                for waiter in waiters {
                    waiter.continuation.resume(throwing: ClientError(.shutdown, "the client has been shut down"))
                }
            }
            state.waiters = [:]
            for timer in state.expiryTimers.values { timer.scheduled.cancel() }
            state.expiryTimers = [:]
            return (Array(state.all.values), pending)
        }
        for task in pending { try? await task.value.close() }
        for connection in connections { await connection.close() }
    }
}
