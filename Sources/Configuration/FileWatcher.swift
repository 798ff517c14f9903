public import ServiceLifecycle

/// Polls a set of files and folders and reports when any of them changes.
///
/// Polling (every ``interval``, 500 ms by default) rather than inotify: it sees changes through symlinks and on
/// every file system, including Kubernetes' atomic `..data` swaps, at the cost of a few `stat` calls a second.
/// A change is reported once the files have stopped changing for one interval, so a half-written file is
/// not picked up.
public actor FileWatcher: Service {
    private var paths: [String]
    /// The state last reported (or first seen); changes are measured against it.
    private var settled: FileSignature
    private let interval: Duration
    private let onChange: @Sendable ([String]) async -> Void

    /// Watches `paths` from now on (their current state is the baseline); `onChange` gets the changed paths.
    public init(
        paths: [String],
        interval: Duration = .milliseconds(500),
        onChange: @escaping @Sendable ([String]) async -> Void
    ) {
        self.paths = paths
        self.settled = FileSignature(paths: paths)
        self.interval = interval
        self.onChange = onChange
    }

    /// Replaces the watched set (after a reload changed which files matter); their current state is the new
    /// baseline.
    public func watch(_ paths: [String]) {
        guard paths != self.paths else { return }
        self.paths = paths
        self.settled = FileSignature(paths: paths)
    }

    /// Polls until the task is cancelled or a graceful shutdown begins.
    public func run() async throws {
        var pending: FileSignature?
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: self.interval)
            let current = FileSignature(paths: self.paths)
            if current == self.settled {
                pending = nil
            } else if current == pending {
                // Unchanged for one interval: report it.
                let changed = current.changedPaths(comparedTo: self.settled)
                self.settled = current
                pending = nil
                await self.onChange(changed)
            } else {
                pending = current
            }
        }
    }
}
