import Foundation

/// A task executor with one thread of its own, for tests that block (sockets, `usleep`, `poll`) for seconds: run
/// under it (`withTaskExecutorPreference`), they keep the task's context (so `#expect` reports to the test) without
/// holding one of the few threads of the cooperative pool that in-process servers of other tests need.
final class DedicatedThreadExecutor: TaskExecutor, @unchecked Sendable {  // `jobs` is guarded by `condition`
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []

    init(name: String) {
        let thread = Thread { [unowned self] in self.run() }
        thread.name = name
        thread.start()
    }

    func enqueue(_ job: UnownedJob) {
        self.condition.lock()
        self.jobs.append(job)
        self.condition.signal()
        self.condition.unlock()
    }

    private func run() {
        while true {
            self.condition.lock()
            while self.jobs.isEmpty { self.condition.wait() }
            let job = self.jobs.removeFirst()
            self.condition.unlock()
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
