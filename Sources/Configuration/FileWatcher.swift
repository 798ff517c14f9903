public import ServiceLifecycle

/// Polls a set of files and folders and reports when any of them changes.
///
/// Polling (every ``interval``, 500 ms by default) rather than inotify: it sees changes through symlinks and on
/// every file system, including Kubernetes' atomic `..data` swaps, at the cost of a few `stat` calls a second.
/// A change is reported once the files have stopped changing for one interval, so a half-written file is
/// not picked up.
public actor FileWatcher: Service {
    private var paths: [String]
    private let interval: Duration
    private let onChange: @Sendable ([String]) async -> Void

    /// Watches `paths`; `onChange` gets the changed paths.
    public init(paths: [String], interval: Duration = .milliseconds(500), onChange: @escaping @Sendable ([String]) async -> Void) {
        self.paths = paths
        self.interval = interval
        self.onChange = onChange
    }

    /// Replaces the watched set (after a reload changed which files matter); no change is reported for it.
    public func watch(_ paths: [String]) {
        self.paths = paths
    }

    /// Polls until the task is cancelled or a graceful shutdown begins.
    public func run() async throws {
        var watched = self.paths
        var settled = FileSignature(paths: watched)
        var pending: FileSignature?
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: self.interval)
            if watched != self.paths {
                watched = self.paths
                settled = FileSignature(paths: watched)
                pending = nil
                continue
            }
            let current = FileSignature(paths: watched)
            if current == settled {
                pending = nil
            } else if current == pending {
                // Unchanged for one interval: report it.
                let changed = current.changedPaths(comparedTo: settled)
                settled = current
                pending = nil
                await self.onChange(changed)
            } else {
                pending = current
            }
        }
    }
}
