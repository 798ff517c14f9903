import Foundation
import GatehouseConfiguration
import Synchronization
import Testing

/// Collects what a watcher reported.
final class ChangeLog: Sendable {
    private let changes = Mutex<[[String]]>([])
    func record(_ paths: [String]) { self.changes.withLock { $0.append(paths) } }
    var all: [[String]] { self.changes.withLock { $0 } }

    /// Waits up to `seconds` for a report containing a path with `suffix`.
    func waitFor(_ suffix: String, seconds: Double = 10) async throws -> Bool {
        for _ in 0..<Int(seconds * 20) {
            if self.all.contains(where: { $0.contains { $0.hasSuffix(suffix) } }) { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }
}

/// Runs a watcher over `paths` while `body` runs.
func watching(_ paths: [String], _ body: (ChangeLog) async throws -> Void) async throws {
    let log = ChangeLog()
    let watcher = FileWatcher(paths: paths, interval: .milliseconds(50)) { log.record($0) }
    let task = Task { try await watcher.run() }
    defer { task.cancel() }
    try await body(log)
}

@Suite struct FileWatcherTests {
    let directory: String

    init() throws {
        self.directory =
            FileManager.default.temporaryDirectory.appendingPathComponent("watch-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: self.directory + "/clients", withIntermediateDirectories: true)
        try "one".write(toFile: self.directory + "/ca.crt", atomically: true, encoding: .utf8)
    }

    @Test func seesARewrittenFile() async throws {
        try await watching([self.directory + "/ca.crt"]) { log in
            try "two".write(toFile: self.directory + "/ca.crt", atomically: true, encoding: .utf8)
            #expect(try await log.waitFor("/ca.crt"))
        }
    }

    @Test func seesFilesAddedToAndRemovedFromAFolder() async throws {
        try await watching([self.directory + "/clients"]) { log in
            try "cert".write(toFile: self.directory + "/clients/new.crt", atomically: true, encoding: .utf8)
            #expect(try await log.waitFor("/clients/new.crt"))
            let reports = log.all.count
            try FileManager.default.removeItem(atPath: self.directory + "/clients/new.crt")
            var seen = false
            for _ in 0..<200 where !seen {
                try await Task.sleep(for: .milliseconds(50))
                seen = log.all.count > reports
            }
            #expect(seen, "the removal was reported")
        }
    }

    @Test func reportsNothingWhenNothingChanges() async throws {
        try await watching([self.directory + "/ca.crt", self.directory + "/clients"]) { log in
            try await Task.sleep(for: .milliseconds(400))
            #expect(log.all.isEmpty)
        }
    }

    /// Kubernetes mounts a Secret as `name -> ..data/name` with `..data -> ..<timestamp>`, and updates it by
    /// writing a new timestamped folder and renaming a new `..data` link over the old one.
    @Test func seesAKubernetesDataSymlinkSwap() async throws {
        let mount = self.directory + "/secret"
        let fileManager = FileManager.default
        try fileManager.createDirectory(atPath: mount + "/..2026_11_29_v1", withIntermediateDirectories: true)
        try "v1".write(toFile: mount + "/..2026_11_29_v1/ca.crt", atomically: true, encoding: .utf8)
        try fileManager.createSymbolicLink(atPath: mount + "/..data", withDestinationPath: "..2026_11_29_v1")
        try fileManager.createSymbolicLink(atPath: mount + "/ca.crt", withDestinationPath: "..data/ca.crt")

        try await watching([mount + "/ca.crt", mount]) { log in
            try fileManager.createDirectory(atPath: mount + "/..2026_11_29_v2", withIntermediateDirectories: true)
            try "v2".write(toFile: mount + "/..2026_11_29_v2/ca.crt", atomically: true, encoding: .utf8)
            try fileManager.createSymbolicLink(atPath: mount + "/..data_tmp", withDestinationPath: "..2026_11_29_v2")
            #expect(rename(mount + "/..data_tmp", mount + "/..data") == 0)  // the atomic swap
            try fileManager.removeItem(atPath: mount + "/..2026_11_29_v1")
            #expect(try await log.waitFor("/secret/ca.crt"))
            #expect(try String(contentsOfFile: mount + "/ca.crt", encoding: .utf8) == "v2")
        }
    }
}
