import Foundation
import TestSupport
import Testing

/// `gatehouse serve` gives back the pages of its executable that only start-up touched (`StartupPageRelease`): once
/// it has settled, little of its code mapping is resident, and it still serves (what it runs faults back in).
@Suite("Start-up pages")
struct StartupPagesTests {
    /// Resident and mapped KiB of the executable's code mappings (`r-xp`) in `/proc/PID/smaps`.
    private func codeMapping(of pid: Int32) throws -> (resident: Int, size: Int) {
        let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")
        let smaps = try String(contentsOfFile: "/proc/\(pid)/smaps", encoding: .utf8)
        var resident = 0
        var size = 0
        var inCode = false
        for line in smaps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if let first = fields.first, first.contains("-"), fields.count >= 5 {
                inCode = fields[1] == "r-xp" && fields.count >= 6 && String(fields[5]) == executable
            } else if inCode, fields.count >= 2, let kib = Int(fields[1]) {
                if fields[0] == "Rss:" { resident += kib }
                if fields[0] == "Size:" { size += kib }
            }
        }
        return (resident, size)
    }

    @Test func afterStartUpLittleOfTheCodeStaysResidentAndRequestsStillWork() throws {
        let server = try ServerProcess()
        defer { _ = server.stop() }
        // The second release comes `settleTime` (1 s) after the banner.
        usleep(2_000_000)
        let code = try self.codeMapping(of: server.pid)
        try #require(code.size > 10 * 1024, "no code mapping of the executable found: \(code)")
        let client = try server.connect()
        client.send("GET /api/hello?name=pages HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let answer = client.receiveText(timeout: 10, containing: "Hello, pages.").text
        #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer)")
        let served = try self.codeMapping(of: server.pid)
        print(
            "code mapping: \(code.resident) KiB resident after start-up, \(served.resident) after a request, of \(code.size)"
        )
        // The debug build's code mapping is about 27 MiB. Start-up without the release leaves about 48 % of it
        // resident (13 MiB), with only the release at the banner about 30 %, with both about 3 % (0.8 MiB).
        #expect(
            code.resident * 100 < code.size * 20,
            "\(code.resident) KiB of \(code.size) KiB resident after start-up"
        )
        #expect(server.stop() == 0)
    }
}
