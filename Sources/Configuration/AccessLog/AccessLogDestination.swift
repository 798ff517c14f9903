import Foundation

/// Where access-log lines are written: a file opened for appending, or standard output.
///
/// Owned by the access log's writer thread; its writes block, which is why they happen there.
struct AccessLogDestination: Sendable {
    /// The file's path, or `-`.
    let path: String
    private let descriptor: Int32

    /// Opens `path` for appending (created with mode 0640), or takes standard output for `-`.
    /// - Throws: ``AccessLogError`` naming the path and the system's reason.
    init(path: String) throws {
        self.path = path
        if path == "-" {
            self.descriptor = STDOUT_FILENO
            return
        }
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else {
            throw AccessLogError(path: path, reason: String(cString: strerror(errno)))
        }
        self.descriptor = descriptor
    }

    var isStandardOutput: Bool { self.path == "-" }

    /// Writes all of `bytes`; false when the system refused (disk full, …).
    func writeAll(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(self.descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += written
            }
            return true
        }
    }

    /// Closes the file (never standard output).
    func closeFile() {
        guard !self.isStandardOutput else { return }
        _ = close(self.descriptor)
    }
}

/// The access log's file cannot be opened.
public struct AccessLogError: Error, CustomStringConvertible {
    /// The path.
    public let path: String
    /// Why, in the system's words.
    public let reason: String

    /// `cannot open the access log <path>: <reason>`.
    public var description: String { "cannot open the access log \(self.path): \(self.reason)" }
}
