import NIOCore

/// The connection actor's executor: jobs run on the channel's event loop, and code already running on that loop
/// counts as isolated to it.
///
/// The second point is what lets ``Connection`` start a request's task with `Task.immediate` inside
/// `channelRead`: the runtime asks ``isIsolatingCurrentContext()`` and, on the loop, runs the task synchronously
/// until its first real suspension instead of enqueueing it for a later loop tick. A request whose chain never
/// suspends is then answered within the read batch, so its response is coalesced with the batch's others.
final class ConnectionExecutor: SerialExecutor {
    private let eventLoop: any EventLoop

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
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
