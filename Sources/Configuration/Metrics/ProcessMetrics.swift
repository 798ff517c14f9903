import Foundation
import Prometheus

#if canImport(Glibc)
    import Glibc
#endif

/// `process_resident_memory_bytes`, `process_open_fds` and `process_start_time_seconds`, the process basics
/// Prometheus users expect, read from `/proc/self` at scrape time (Linux only: elsewhere the series are absent).
///
/// They are gauges of the exposition registry itself, not swift-metrics instruments: they describe this process as
/// the admin listener serves it, whatever backend the service's own instruments use.
struct ProcessMetrics: Sendable {
    private let residentMemory: Prometheus.Gauge?
    private let openDescriptors: Prometheus.Gauge?

    /// Creates the gauges in `registry` and sets the start time, which never changes.
    init(registry: PrometheusCollectorRegistry) {
        #if os(Linux)
            self.residentMemory = registry.makeGauge(
                descriptor: MetricNameDescriptor(
                    namespace: "process",
                    metricName: "resident_memory",
                    unitName: "bytes",
                    helpText: "Resident memory size in bytes."
                )
            )
            self.openDescriptors = registry.makeGauge(
                descriptor: MetricNameDescriptor(
                    namespace: "process",
                    metricName: "open",
                    unitName: "fds",
                    helpText: "Number of open file descriptors."
                )
            )
            if let start = Self.startTime() {
                registry.makeGauge(
                    descriptor: MetricNameDescriptor(
                        namespace: "process",
                        metricName: "start_time",
                        unitName: "seconds",
                        helpText: "Start time of the process since unix epoch in seconds."
                    )
                ).set(start)
            }
        #else
            self.residentMemory = nil
            self.openDescriptors = nil
        #endif
    }

    /// Reads `/proc/self` into the gauges.
    func update() {
        #if os(Linux)
            if let resident = Self.residentBytes() { self.residentMemory?.set(resident) }
            if let count = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count {
                // The listing itself holds one descriptor while it runs.
                self.openDescriptors?.set(Double(max(count - 1, 0)))
            }
        #endif
    }

    #if os(Linux)
        /// The second field of `/proc/self/statm` (resident pages) times the page size.
        private static func residentBytes() -> Double? {
            guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
            let fields = statm.split(separator: " ")
            guard fields.count > 1, let pages = Double(fields[1]) else { return nil }
            return pages * Double(sysconf(Int32(_SC_PAGESIZE)))
        }

        /// The boot time (`btime` of `/proc/stat`) plus the process's start (field 22 of `/proc/self/stat`, in
        /// clock ticks since boot).
        private static func startTime() -> Double? {
            guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
                let system = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return nil }
            // Fields after the command name (which may hold spaces) start at field 3.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 19, let ticks = Double(fields[19]),
                let line = system.split(separator: "\n").first(where: { $0.hasPrefix("btime ") }),
                let boot = Double(line.dropFirst("btime ".count))
            else { return nil }
            return boot + ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
        }
    #endif
}
