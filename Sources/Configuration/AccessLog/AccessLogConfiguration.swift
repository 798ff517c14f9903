/// The `accessLog` section: where one line per request goes, and in which format.
public struct AccessLogConfiguration: Sendable, Hashable {
    /// The line format.
    public enum Format: String, Sendable, Hashable, CaseIterable {
        /// One JSON object per line.
        case json
        /// One `key=value` line per request, the same fields as JSON.
        case text
    }

    /// The default bound on lines waiting to be written: 4 MiB.
    public static let defaultMaxBufferedBytes = 4 * 1024 * 1024

    /// An absolute file path (appended to, created with mode 0640), or `-` for standard output.
    public var path: String
    /// `json` (the default) or `text`.
    public var format: Format
    /// The most bytes of lines waiting to be written (`maxBufferedBytes`): past it, a line is dropped and counted
    /// rather than held, so a slow disk cannot grow memory without bound. The dropped count is logged as a warning.
    public var maxBufferedBytes: Int

    /// An access log to `path` (`-` for standard output) in `format`.
    public init(path: String, format: Format = .json, maxBufferedBytes: Int = Self.defaultMaxBufferedBytes) {
        self.path = path
        self.format = format
        self.maxBufferedBytes = maxBufferedBytes
    }

    /// Whether the lines go to standard output.
    public var isStandardOutput: Bool { self.path == "-" }
}
