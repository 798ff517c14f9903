import NIOCore
import NIOPosix

/// The connection actor's executor: jobs run on the channel's event loop, and code already running on that loop
/// counts as isolated to it.
///
/// The second point is what lets ``Connection`` start a request's task with `Task.immediate` inside
/// `channelRead`: the runtime asks ``isIsolatingCurrentContext()`` and, on the loop, runs the task synchronously
/// until its first real suspension instead of enqueueing it for a later loop tick. A request whose chain never
/// suspends is then answered within the read batch, so its response is coalesced with the batch's others.
///
/// One executor serves every connection of a loop (``shared(for:)``): it holds nothing but the loop, so a connection
/// need not allocate its own.
final class ConnectionExecutor: SerialExecutor {
    private let eventLoop: any EventLoop

    /// Each event loop thread's executor.
    private static let perThread = ThreadSpecificVariable<ConnectionExecutor>()

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// The executor of `eventLoop`'s connections: on that loop's thread, the one it keeps (created on first use);
    /// elsewhere a new one.
    static func shared(for eventLoop: any EventLoop) -> ConnectionExecutor {
        guard eventLoop.inEventLoop else { return ConnectionExecutor(eventLoop: eventLoop) }
        if let executor = Self.perThread.currentValue, executor.eventLoop === eventLoop { return executor }
        let executor = ConnectionExecutor(eventLoop: eventLoop)
        Self.perThread.currentValue = executor
        return executor
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        self.eventLoop.execute {
            job.runSynchronously(on: self.asUnownedSerialExecutor())
        }
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(complexEquality: self)
    }

    func isSameExclusiveExecutionContext(other: ConnectionExecutor) -> Bool {
        self.eventLoop === other.eventLoop
    }

    func checkIsolated() {
        self.eventLoop.preconditionInEventLoop()
    }

    func isIsolatingCurrentContext() -> Bool? {
        self.eventLoop.inEventLoop
    }
}
