import Foundation
import TestSupport
import Testing

/// RFC 9113 conformance: the h2spec suite (summerwind/h2spec, built into `../shared/tools`; see its README)
/// against a real `gatehouse serve` on a `request`-mode listener, with and without a client certificate.
/// Skipped, with the reason printed, when the tool is absent.
@Suite("h2spec against gatehouse serve")
struct H2specTests {
    /// Where h2spec is: `$H2SPEC`, else `../shared/tools/h2spec` beside the repository.
    static let toolPath: String? = {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let shared = repository.deletingLastPathComponent().appendingPathComponent("shared/tools/h2spec").path
        let candidates: [String] = [ProcessInfo.processInfo.environment["H2SPEC"], shared].compactMap { $0 }
        let found = candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
        if found == nil { print("H2specTests skipped: no h2spec at $H2SPEC or \(shared)") }
        return found
    }()

    /// Cases h2spec may skip and why. 6.9.2/2 checks flow control on the DATA of the response to its request and
    /// skips when that body is too short: `/` answers `ok`, two bytes. The run with the client certificate posts
    /// to `/api/hello`, whose longer answer lets the case run, so it must pass there.
    static let expectedSkips: Set<String> = ["http2/6.9.2/2"]

    /// Cases that cannot pass on the system's nghttp2 (1.52): none.
    static let expectedFailures: Set<String> = []

    @Test(.enabled(if: Self.toolPath != nil, "h2spec not found (set H2SPEC or build ../shared/tools/h2spec)"))
    func allCasesPassWithAndWithoutAClientCertificate() async throws {
        let server = try ServerProcess(limits: "requestBodyTimeout: 5s")
        defer { _ = server.stop() }
        let (port, folder) = (server.port, server.folder.path)
        let certificate = ["--cert", server.folder.pki.client.chainFile, "--key", server.folder.pki.client.keyFile]
        async let anonymous = Self.run(port: port, folder: folder, name: "anonymous", extra: [])
        async let withCertificate = Self.run(
            port: port,
            folder: folder,
            name: "certificate",
            extra: certificate + ["-P", "/api/hello"]
        )
        for report in try await [anonymous, withCertificate] {
            print(
                "h2spec (\(report.name)): \(report.passed.count) passed, \(report.skipped.count) skipped, "
                    + "\(report.failed.count) failed \(report.failed.sorted())"
            )
            #expect(report.total == 146, "\(report.name): \(report.output)")
            #expect(Set(report.failed) == Self.expectedFailures, "\(report.name) failed: \(report.failed.sorted())")
            #expect(Set(report.skipped).isSubset(of: Self.expectedSkips), "\(report.name) skipped: \(report.skipped)")
        }
        #expect(try await withCertificate.skipped.isEmpty)
    }

    struct Report {
        var name: String
        var passed: [String] = []
        var failed: [String] = []
        var skipped: [String] = []
        var output = ""
        var total: Int { self.passed.count + self.failed.count + self.skipped.count }
    }

    /// Runs h2spec with a JUnit report and reads each case's outcome; a case id is `package/index` (`http2/5.1.1/2`).
    static func run(port: Int, folder: String, name: String, extra: [String]) async throws -> Report {
        let report = "\(folder)/h2spec-\(name).xml"
        let output = try await runProcess(
            try #require(Self.toolPath),
            ["-t", "-k", "-h", "127.0.0.1", "-p", "\(port)", "-o", "5", "-j", report] + extra
        )
        var result = Report(name: name, output: output.stdout.suffix(3000) + output.stderr)
        let xml = try String(contentsOfFile: report, encoding: .utf8)
        for suite in xml.components(separatedBy: "<testsuite ").dropFirst() {
            guard let package = Self.attribute("package", in: suite) else { continue }
            for (index, testCase) in suite.components(separatedBy: "<testcase ").dropFirst().enumerated() {
                let body = testCase.components(separatedBy: "</testcase>").first ?? testCase
                let id = "\(package)/\(index + 1)"
                if body.contains("<failure") || body.contains("<error") {
                    result.failed.append(id)
                } else if body.contains("<skipped") {
                    result.skipped.append(id)
                } else {
                    result.passed.append(id)
                }
            }
        }
        return result
    }

    private static func attribute(_ name: String, in element: String) -> String? {
        guard let start = element.range(of: "\(name)=\"") else { return nil }
        return element[start.upperBound...].split(separator: "\"", maxSplits: 1).first.map(String.init)
    }
}
