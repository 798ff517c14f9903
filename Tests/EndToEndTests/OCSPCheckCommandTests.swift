import Foundation
import TestSupport
import Testing

/// `gatehouse check` shows a policy's OCSP settings and refuses bad ones with the file, line and key.
@Suite("`gatehouse check` with OCSP", .serialized)
struct OCSPCheckCommandTests {
    func gatehouse(_ arguments: [String]) async throws -> ProcessOutput {
        try await runProcess("/usr/bin/timeout", ["30", try builtExecutable("gatehouse")] + arguments)
    }

    func yaml(ocsp: String) -> String {
        CheckFolder.yaml().replacingOccurrences(
            of: "    validateRevocation: true\n",
            with: "    validateRevocation: true\n    ocsp: \(ocsp)\n"
        )
    }

    @Test func theSettingsAreShownInTextAndJSON() async throws {
        let folder = try CheckFolder()
        let file = try folder.write(
            self.yaml(
                ocsp: "{ mode: softFail, responder: \"http://127.0.0.1:8888/ocsp\", timeout: 1500ms, cacheSize: 500 }"
            )
        )
        let output = try await self.gatehouse(["check", "--config", file])
        #expect(output.exitCode == 0, "\(output.stderr)")
        let line = "    OCSP          softFail, http://127.0.0.1:8888/ocsp, timeout 1500 ms, cache 500 statuses"
        #expect(output.stdout.contains(line), "\(output.stdout)")

        let json = try await self.gatehouse(["check", "--config", file, "--json"])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let policy = try #require((report["policies"] as? [[String: Any]])?.first)
        let ocsp = try #require(policy["ocsp"] as? [String: Any], "\(json.stdout)")
        #expect(ocsp["mode"] as? String == "softFail")
        #expect(ocsp["responder"] as? String == "http://127.0.0.1:8888/ocsp")
        #expect(ocsp["timeoutMilliseconds"] as? Int == 1500)
        #expect(ocsp["cacheSize"] as? Int == 500)
    }

    @Test func defaultsNameTheCertificatesOwnResponder() async throws {
        let folder = try CheckFolder()
        let file = try folder.write(self.yaml(ocsp: "{}"))
        let output = try await self.gatehouse(["check", "--config", file])
        #expect(output.exitCode == 0, "\(output.stderr)")
        let line = "    OCSP          hardFail, each certificate's AIA responder, timeout 2000 ms, cache 10000 statuses"
        #expect(output.stdout.contains(line), "\(output.stdout)")
    }

    @Test(arguments: [
        ("{ mode: sometimes }", "policies.partners.ocsp.mode", "'sometimes' is not one of hardFail | softFail"),
        ("{ responder: \"https://ocsp.example\" }", "policies.partners.ocsp.responder", "http:// URL"),
        ("{ timeout: 5m }", "policies.partners.ocsp.timeout", "must be between"),
        ("{ cacheSize: 0 }", "policies.partners.ocsp.cacheSize", "must be between 1 and 1000000"),
        ("{ retries: 3 }", "policies.partners.ocsp", "retries"),
    ])
    func badSettingsAreRefusedWithTheirKey(ocsp: String, key: String, problem: String) async throws {
        let folder = try CheckFolder()
        let file = try folder.write(self.yaml(ocsp: ocsp))
        let output = try await self.gatehouse(["check", "--config", file])
        #expect(output.exitCode != 0)
        #expect(output.stderr.contains(key), "\(output.stderr)")
        #expect(output.stderr.contains(problem), "\(output.stderr)")
        #expect(output.stderr.contains(":12") || output.stderr.contains("line 12"), "\(output.stderr)")
    }
}
