import Foundation
import Testing

/// What one curl run returned.
struct CurlResult: Sendable {
    /// curl's exit code: 0 on a completed transfer (any HTTP status).
    var exitCode: Int32
    /// The HTTP status, or 0 when no response arrived.
    var status: Int
    /// `1.1` or `2`.
    var httpVersion: String
    /// The response body.
    var body: Data
    /// The response head as curl printed it (`-D`), lower-cased names kept as sent.
    var headers: String
    /// curl's error text.
    var stderr: String

    var text: String { String(decoding: self.body, as: UTF8.self) }
}

/// Runs the real curl against a test server.
struct Curl: Sendable {
    /// `--cacert` for the server's certificate.
    var caFile: String
    /// `--cert`/`--key` to present, if any.
    var clientCertificate: (certificate: String, key: String)?

    /// Runs curl for `url` with `arguments` added; the body goes to a temporary file.
    func run(_ url: String, _ arguments: [String] = [], timeout: Int = 20) async throws -> CurlResult {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("curl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let bodyFile = directory.appendingPathComponent("body").path
        let headerFile = directory.appendingPathComponent("head").path
        var args = [
            "-sS", "--max-time", "\(timeout)", "--cacert", self.caFile, "-o", bodyFile, "-D", headerFile,
            "-w", "%{http_code} %{http_version}",
        ]
        if let client = self.clientCertificate { args += ["--cert", client.certificate, "--key", client.key] }
        args += arguments + [url]
        let output = try await runProcess("/usr/bin/env", ["curl"] + args)
        let fields = output.stdout.split(separator: " ")
        return CurlResult(
            exitCode: output.exitCode,
            status: fields.first.flatMap { Int($0) } ?? 0,
            httpVersion: fields.count > 1 ? String(fields[1]) : "",
            body: (try? Data(contentsOf: URL(fileURLWithPath: bodyFile))) ?? Data(),
            headers: (try? String(contentsOfFile: headerFile, encoding: .utf8)) ?? "",
            stderr: output.stderr
        )
    }
}

/// Output of a finished process.
struct ProcessOutput: Sendable {
    var exitCode: Int32
    var stdout: String
    var stderr: String
}

/// Runs `executable` with `arguments` to completion on a thread of its own (never blocking the
/// concurrency pool) and captures its output.
func runProcess(_ executable: String, _ arguments: [String], input: Data? = nil) async throws -> ProcessOutput {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            continuation.resume(with: Result { try runProcessBlocking(executable, arguments, input: input) })
        }
    }
}

/// Runs `executable` with `arguments` to completion, blocking the calling thread.
func runProcessBlocking(_ executable: String, _ arguments: [String], input: Data? = nil) throws -> ProcessOutput {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let stdin = Pipe()
    process.standardInput = stdin
    try process.run()
    if let input { stdin.fileHandleForWriting.write(input) }
    try stdin.fileHandleForWriting.close()
    // Read both pipes before waiting, so a chatty child cannot block on a full pipe.
    let errorReader = Thread.detachNewThreadWithResult { err.fileHandleForReading.readDataToEndOfFile() }
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessOutput(
        exitCode: process.terminationStatus,
        stdout: String(decoding: stdout, as: UTF8.self),
        stderr: String(decoding: errorReader.wait(), as: UTF8.self)
    )
}

/// A value computed on a thread of its own.
final class ThreadResult<Value: Sendable>: @unchecked Sendable {  // guarded by `condition`
    private let condition = NSCondition()
    private var value: Value?

    func set(_ value: Value) {
        self.condition.lock()
        self.value = value
        self.condition.signal()
        self.condition.unlock()
    }

    func wait() -> Value {
        self.condition.lock()
        defer { self.condition.unlock() }
        while self.value == nil { self.condition.wait() }
        return self.value!
    }
}

extension Thread {
    /// Runs `body` on a new thread; `wait()` on the result blocks until it is done.
    static func detachNewThreadWithResult<Value: Sendable>(_ body: @escaping @Sendable () -> Value) -> ThreadResult<
        Value
    > {
        let result = ThreadResult<Value>()
        Thread.detachNewThread { result.set(body()) }
        return result
    }
}
