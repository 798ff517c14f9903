import Foundation
import NIOCore

/// How many event-loop threads `gatehouse serve` starts.
enum EventLoopCount {
    /// One per CPU the process may run on: SwiftNIO's count (cores, cgroup quota and cpuset), lowered to the CPUs
    /// in the process's affinity mask (`taskset`, `numactl`, a pinned service unit). Two loops time-sharing one CPU
    /// only add latency: a request on the loop that is not running waits for the other's time slice.
    static var perUsableCPU: Int {
        min(System.coreCount, self.affinityCPUCount ?? System.coreCount)
    }

    /// The number of CPUs in this process's affinity mask (the `Cpus_allowed` mask of `/proc/self/status`), or `nil`
    /// where it cannot be read.
    static var affinityCPUCount: Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        return self.cpuCount(inStatus: status)
    }

    /// The CPUs in the `Cpus_allowed:` line of a `/proc/PID/status` text: a hex mask in comma-separated 32-bit words.
    static func cpuCount(inStatus status: String) -> Int? {
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed:") }) else {
            return nil
        }
        var count = 0
        for character in line.dropFirst("Cpus_allowed:".count) where character != "," && !character.isWhitespace {
            guard let nibble = character.hexDigitValue else { return nil }
            count += nibble.nonzeroBitCount
        }
        return count > 0 ? count : nil
    }

    /// Sizes SwiftNIO's shared event-loop group, which the server uses: `requested` loops when given, else
    /// ``perUsableCPU`` unless the `NIO_SINGLETON_GROUP_LOOP_COUNT` environment variable already says. Call once,
    /// before anything starts the group.
    static func configureSharedGroup(requested: Int?, environment: [String: String]) {
        if let requested {
            NIOSingletons.groupLoopCountSuggestion = requested
        } else if environment["NIO_SINGLETON_GROUP_LOOP_COUNT"] == nil {
            NIOSingletons.groupLoopCountSuggestion = self.perUsableCPU
        }
    }
}
