import Foundation
import Testing

/// A built executable of this package (`gatehouse`, `HelloServiceExample`) next to the test bundle.
func builtExecutable(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
    let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    let candidates = [directory, directory.deletingLastPathComponent()].map { $0.appendingPathComponent(name).path }
    let found = candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    return try #require(
        found,
        "build \(name) first (`swift build`): looked in \(candidates)",
        sourceLocation: sourceLocation
    )
}

/// A port that was free a moment ago on 127.0.0.1.
func freeLoopbackPort() throws -> Int {
    let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard socket >= 0 else { throw POSIXError(.EMFILE) }
    defer { close(socket) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sockaddr in
            Glibc.bind(socket, sockaddr, length) == 0 && getsockname(socket, sockaddr, &length) == 0
        }
    }
    guard bound else { throw POSIXError(.EADDRINUSE) }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// A child process the test started; stopped by its PID only.
final class ChildProcess: @unchecked Sendable {  // the Process is only touched by the test that owns it
    let process = Process()
    private let output = Pipe()
    private let errors = Pipe()
    private let collected = NSCondition()
    private var text = ""
    private var errorText = ""

    init(_ executable: String, _ arguments: [String], in directory: String) throws {
        self.process.executableURL = URL(fileURLWithPath: executable)
        self.process.arguments = arguments
        self.process.currentDirectoryURL = URL(fileURLWithPath: directory)
        self.process.standardOutput = self.output
        self.process.standardError = self.errors
        try self.process.run()
        // Drain both pipes on threads of their own (a full pipe would block the child); `readOutput` and
        // `readErrors` wait on what was collected.
        self.drain(self.output.fileHandleForReading) { $0.text += $1 }
        self.drain(self.errors.fileHandleForReading) { $0.errorText += $1 }
    }

    private func drain(_ handle: FileHandle, into append: @escaping @Sendable (ChildProcess, String) -> Void) {
        Thread.detachNewThread { [self] in
            while true {
                let chunk = handle.availableData
                self.collected.lock()
                append(self, String(decoding: chunk, as: UTF8.self))
                self.collected.broadcast()
                self.collected.unlock()
                if chunk.isEmpty { return }
            }
        }
    }

    /// Waits until standard error satisfies `isComplete` (at most `timeout` seconds); returns all of it.
    func readErrors(timeout: Double = 60, until isComplete: (String) -> Bool) -> String {
        let deadline = Date().addingTimeInterval(timeout)
        self.collected.lock()
        defer { self.collected.unlock() }
        while !isComplete(self.errorText) && self.process.isRunning {
            if !self.collected.wait(until: deadline) { break }
        }
        return self.errorText
    }

    var pid: Int32 { self.process.processIdentifier }

    /// Waits until standard output satisfies `isComplete` (at most `timeout` seconds); returns all of it.
    func readOutput(timeout: Double = 60, until isComplete: (String) -> Bool) -> String {
        let deadline = Date().addingTimeInterval(timeout)
        self.collected.lock()
        defer { self.collected.unlock() }
        while !isComplete(self.text) && self.process.isRunning {
            if !self.collected.wait(until: deadline) { break }
        }
        return self.text
    }

    /// The number of open file descriptors of the process.
    func openFileDescriptors() throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: "/proc/\(self.pid)/fd").count
    }

    /// Sends `signal` and waits for the exit status, killing the process after `timeout` seconds.
    func stop(signal: Int32 = SIGTERM, timeout: Double = 20) -> Int32 {
        guard self.process.isRunning else { return self.process.terminationStatus }
        kill(self.pid, signal)
        let deadline = Date().addingTimeInterval(timeout)
        while self.process.isRunning && Date() < deadline { usleep(20_000) }
        if self.process.isRunning {
            kill(self.pid, SIGKILL)
            self.process.waitUntilExit()
            return -1
        }
        return self.process.terminationStatus
    }

    deinit {
        if self.process.isRunning { kill(self.pid, SIGKILL) }
    }
}

/// A new empty temporary directory.
func temporaryDirectory() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("gatehouse-e2e-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
