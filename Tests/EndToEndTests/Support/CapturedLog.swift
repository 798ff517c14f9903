import Logging
import Synchronization

/// A log handler that keeps every line at `notice` and above (level, message, metadata), for tests that check
/// what the server logged.
final class CapturedLog: LogHandler, Sendable {
    private let captured = Mutex<[String]>([])

    /// A logger writing here.
    var logger: Logger { Logger(label: "captured") { _ in self } }

    /// Every line so far: `warning listener change not applied … changed=limits.idleTimeout listener=listeners[0]`.
    var lines: [String] { self.captured.withLock { $0 } }

    /// The lines containing every one of `fragments`.
    func lines(containing fragments: String...) -> [String] {
        self.lines.filter { line in fragments.allSatisfy { line.contains($0) } }
    }

    var metadata: Logger.Metadata {
        get { [:] }
        set {}
    }
    var logLevel: Logger.Level {
        get { .notice }
        set {}
    }
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { nil }
        set {}
    }

    func log(event: LogEvent) {
        let metadata = (event.metadata ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let line = (["\(event.level)", "\(event.message)"] + metadata).joined(separator: " ")
        self.captured.withLock { $0.append(line) }
    }
}
