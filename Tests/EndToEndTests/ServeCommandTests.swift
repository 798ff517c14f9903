import Foundation
import TestSupport
import Testing

@Suite("`gatehouse serve` as a user runs it", .serialized)
struct ServeCommandTests {
    /// Starts `gatehouse serve --port 0` (at `logLevel`, with `extraArguments`, pinned to `cpus` with `taskset` when
    /// given) in a new directory and returns it with its banner.
    func startServe(
        _ extraArguments: [String] = [],
        logLevel: String = "warning",
        pinnedTo cpus: String? = nil
    ) throws -> (process: ChildProcess, directory: String, banner: String) {
        let directory = try temporaryDirectory()
        let serve =
            [try builtExecutable("gatehouse"), "serve", "--port", "0", "--log-level", logLevel] + extraArguments
        let process = try ChildProcess(
            cpus == nil ? serve[0] : "/usr/bin/taskset",
            cpus.map { ["-c", $0] + serve } ?? Array(serve.dropFirst()),
            in: directory
        )
        let banner = process.readOutput { text in
            text.components(separatedBy: "\n  curl ").count == 3 && text.hasSuffix("\n")
        }
        return (process, directory, banner)
    }

    /// The ready-to-paste curl lines of the banner.
    func curlLines(_ banner: String) -> [String] {
        banner.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0.hasPrefix("curl ") }
    }

    @Test func firstRunCreatesTheDevelopmentPKIAndTheBannerCurlLinesWork() async throws {
        let (process, directory, banner) = try self.startServe()
        defer { _ = process.stop(signal: SIGKILL) }
        let lines = self.curlLines(banner)
        try #require(lines.count == 2, "banner: \(banner)")

        let withoutCertificate = try await runShell(lines[0] + " -sS", in: directory)
        #expect(withoutCertificate.contains("Invalid client certificate"), "\(withoutCertificate)")
        let withCertificate = try await runShell(lines[1] + " -sS", in: directory)
        #expect(withCertificate == "Hello, Gatehouse.")

        let pki = directory + "/.gatehouse/pki/"
        for file in ["ca.crt", "ca.key", "server.crt", "server.key", "client.crt", "client.key", "client.pfx"] {
            #expect(FileManager.default.fileExists(atPath: pki + file), "\(file)")
        }
        for key in ["ca.key", "server.key", "client.key", "client.pfx.password"] {
            let attributes = try FileManager.default.attributesOfItem(atPath: pki + key)
            #expect((attributes[.posixPermissions] as? Int) == 0o600, "\(key)")
        }
        #expect(process.stop(signal: SIGTERM) == 0)
    }

    @Test func theDefaultLevelLogsNoLinePerRequestAndDebugDoes() async throws {
        // A line per request is formatted and written on the event loop: a debugging aid, not the default (the
        // access log is the per-request record).
        for (level, logsRequests) in [("info", false), ("debug", true)] {
            let (process, directory, banner) = try self.startServe(logLevel: level)
            defer { _ = process.stop(signal: SIGKILL) }
            let lines = self.curlLines(banner)
            try #require(lines.count == 2, "banner: \(banner)")
            #expect(try await runShell(lines[1] + " -sS", in: directory) == "Hello, Gatehouse.")
            #expect(process.stop(signal: SIGTERM) == 0)
            let errors = process.readErrors(timeout: 10) { $0.contains("stopped") }
            #expect(errors.contains("listening"), "\(level): \(errors)")
            #expect(errors.contains("GET /api/hello 200") == logsRequests, "\(level): \(errors)")
        }
    }

    @Test func aSIGTERMSentAsSoonAsTheBannerIsOutExitsZero() throws {
        // Scripts stop the server the moment they have read its banner: by then the signal must already mean a
        // graceful shutdown, not the signal's default action (status 143).
        for _ in 0..<3 {
            let (process, _, _) = try self.startServe()
            defer { _ = process.stop(signal: SIGKILL) }
            #expect(process.stop(signal: SIGTERM) == 0)
        }
    }

    @Test func openFileDescriptorsReturnToTheirBaselineAndSIGINTExitsZero() async throws {
        let (process, directory, banner) = try self.startServe()
        defer { _ = process.stop(signal: SIGKILL) }
        let lines = self.curlLines(banner)
        try #require(lines.count == 2, "banner: \(banner)")
        _ = try await runShell(lines[1] + " -sS", in: directory)
        // The baseline is taken once the warm-up connection has been closed and the count holds still.
        var baseline = try process.openFileDescriptors()
        for _ in 0..<40 {
            try await Task.sleep(for: .milliseconds(100))
            let next = try process.openFileDescriptors()
            if next == baseline { break }
            baseline = next
        }

        let port = try #require(banner.split(separator: ":").compactMap { Int($0.prefix { $0.isNumber }) }.first)
        for http in ["--http1.1", "--http2"] {
            _ = try await runShell(lines[0] + " -sS \(http)", in: directory)
            _ = try await runShell(lines[1] + " -sS \(http)", in: directory)
        }
        _ = try await rawTLSExchange(port: port, caFile: directory + "/.gatehouse/pki/ca.crt", send: "BROKEN\r\n\r\n")
        _ = try await runShell(
            "timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/\(port); exec 3>&-' || true",
            in: directory
        )

        var current = try process.openFileDescriptors()
        for _ in 0..<100 where current > baseline {
            try await Task.sleep(for: .milliseconds(50))
            current = try process.openFileDescriptors()
        }
        #expect(current <= baseline, "open descriptors \(current), baseline \(baseline)")
        #expect(process.stop(signal: SIGINT) == 0)
    }
}

extension ServeCommandTests {
    /// The event-loop threads of SwiftNIO's shared group in the running server (named `NIO-SGLTN-<group>-#<n>`).
    func eventLoopThreads(of process: ChildProcess) throws -> Int {
        let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(process.pid)/task")
        return tasks.filter { task in
            let name = (try? String(contentsOfFile: "/proc/\(process.pid)/task/\(task)/comm", encoding: .utf8)) ?? ""
            return name.hasPrefix("NIO-SGLTN-") && name.contains("-#")
        }.count
    }

    @Test func eventLoopsFollowTheCPUsTheProcessMayUseOrTheOption() throws {
        let (pinned, _, _) = try self.startServe(pinnedTo: "0")
        defer { _ = pinned.stop(signal: SIGKILL) }
        #expect(try self.eventLoopThreads(of: pinned) == 1)

        let (chosen, _, _) = try self.startServe(["--event-loops", "3"], pinnedTo: "0")
        defer { _ = chosen.stop(signal: SIGKILL) }
        #expect(try self.eventLoopThreads(of: chosen) == 3)
    }

    @Test func aZeroEventLoopCountIsRefused() async throws {
        let result = try await runProcess(try builtExecutable("gatehouse"), ["serve", "--event-loops", "0"])
        #expect(result.exitCode != 0)
        #expect(result.stderr.contains("--event-loops must be at least 1"), "\(result.stderr)")
    }
}

/// Runs `command` with /bin/sh in `directory` and returns its standard output.
func runShell(_ command: String, in directory: String) async throws -> String {
    try await runProcess("/bin/sh", ["-c", "cd '\(directory)' && \(command)"]).stdout
}
