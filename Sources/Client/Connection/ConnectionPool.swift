import GatehouseTransport
import NIOCore
import Synchronization

/// The connections of one ``HTTPClient``, keyed by origin.
///
/// One HTTP/2 connection per origin is shared by every request; concurrent first requests wait for the one
/// connection attempt instead of each opening their own. HTTP/1.1 connections carry one request at a time and
/// are kept for reuse when the response left them open. With a bound, at most that many connections to one origin
/// are open or opening at a time; a request that finds them all busy waits until one is released or closes.
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
        /// Leases waiting for a connection to an origin at its bound.
        var waiters: [ClientConnection.Origin: [UInt64: CheckedContinuation<Void, any Error>]] = [:]
        var nextWaiter: UInt64 = 0
        var isShutDown = false

        /// Wakes one lease waiting for `origin`, to look again.
        mutating func wakeOne(_ origin: ClientConnection.Origin) {
            guard let (id, waiter) = self.waiters[origin]?.first else { return }
            self.waiters[origin]?[id] = nil
            waiter.resume()
        }
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

    /// - Parameters:
    ///   - sharesConnections: whether a first connection may turn out to be HTTP/2 (not when only HTTP/1.1 is
    ///     offered), so concurrent requests should wait for it.
    ///   - maxConnections: the most connections per origin; `nil` for no bound.
    ///   - connect: opens a new connection.
    init(
        sharesConnections: Bool,
        maxConnections: Int? = nil,
        connect: @escaping @Sendable (ClientConnection.Origin) async throws -> ClientConnection
    ) {
        self.sharesConnections = sharesConnections
        self.maxConnections = maxConnections.map { max(1, $0) }
        self.connect = connect
    }

    /// A usable connection to `origin`: the shared HTTP/2 one, an idle HTTP/1.1 one, or a new one.
    func lease(_ origin: ClientConnection.Origin) async throws -> Lease {
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
            return try await self.lease(origin)
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
            try await self.waitForSlot(origin)
            return try await self.lease(origin)
        }
    }

    /// Waits until a connection to `origin` is released or closes.
    private func waitForSlot(_ origin: ClientConnection.Origin) async throws {
        let id = self.state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let refusal: (any Error)? = self.state.withLock { state in
                    if state.isShutDown { return ClientError(.shutdown, "the client has been shut down") }
                    if Task.isCancelled { return CancellationError() }
                    state.waiters[origin, default: [:]][id] = continuation
                    return nil
                }
                if let refusal { continuation.resume(throwing: refusal) }
            }
        } onCancel: {
            let waiter = self.state.withLock { $0.waiters[origin]?.removeValue(forKey: id) }
            waiter?.resume(throwing: CancellationError())
        }
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
            self.state.withLock { _ = $0.shared.removeValue(forKey: origin) }
            self.connectFailed(origin)
            throw error
        }
        let isHTTP2 = connection.httpVersion == .http2
        self.state.withLock { state in
            // HTTP/1.1 cannot be shared: the waiters connect on their own.
            state.shared[origin] = isHTTP2 ? .ready(connection) : nil
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
                for waiter in waiters.values {
                    waiter.resume(throwing: ClientError(.shutdown, "the client has been shut down"))
                }
            }
            state.waiters = [:]
            return (Array(state.all.values), pending)
        }
        for task in pending { try? await task.value.close() }
        for connection in connections { await connection.close() }
    }
}
