import Foundation
import Testing

@Suite("The README's library example", .serialized)
struct LibraryExampleTests {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func readmeShowsTheExampleExactly() throws {
        let readme = try String(contentsOf: Self.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let example = try String(
            contentsOf: Self.packageRoot.appendingPathComponent("Examples/HelloService/main.swift"),
            encoding: .utf8
        )
        #expect(readme.contains("```swift\n" + example + "```"))
        #expect(readme.contains("gatehouse certs init --dir pki"), "the README says how to make the example's files")
    }

    @Test func exampleServesItsFunctionBehindTheAuthenticator() async throws {
        let directory = try temporaryDirectory()
        // As the README says: the example reads the files `gatehouse certs init --dir pki` writes.
        let initialized = try await runProcess(
            try builtExecutable("gatehouse"),
            ["certs", "init", "--dir", directory + "/pki"]
        )
        try #require(initialized.exitCode == 0, "\(initialized.stderr)")
        let port = try freeLoopbackPort()
        let process = try ChildProcess(
            try builtExecutable("HelloServiceExample"),
            ["\(port)", "pki", "example-key"],
            in: directory
        )
        defer { _ = process.stop(signal: SIGKILL) }
        let base = "https://127.0.0.1:\(port)"
        let ca = directory + "/pki/ca.crt"
        var health = ""
        for _ in 0..<200 where health != "ok" {
            try await Task.sleep(for: .milliseconds(50))
            health = try await runShell(
                "curl -sS --cacert pki/ca.crt \(base)/healthz 2>/dev/null || true",
                in: directory
            )
        }
        try #require(health == "ok")
        let curl = Curl(caFile: ca, clientCertificate: (directory + "/pki/client.crt", directory + "/pki/client.key"))
        let greeting = try await curl.run(base + "/greet")
        #expect(greeting.status == 200)
        #expect(greeting.text.hasPrefix("Hello, CN=client"), "\(greeting.text)")
        let stranger = Curl(caFile: ca, clientCertificate: nil)
        let refused = try await stranger.run(base + "/greet")
        #expect(refused.status == 403)

        // `/report` needs the certificate and the example's own authenticator, the API key.
        let both = try await curl.run(base + "/report", ["-H", "X-API-Key: example-key"])
        #expect(both.status == 200)
        #expect(both.text.hasPrefix("Report for CN=client") && both.text.hasSuffix("key reports."), "\(both.text)")
        let certificateAlone = try await curl.run(base + "/report")
        #expect(certificateAlone.status == 401)
        #expect(
            certificateAlone.headers.lowercased().contains("www-authenticate: apikey"),
            "\(certificateAlone.headers)"
        )
        #expect(try await curl.run(base + "/report", ["-H", "X-API-Key: guess"]).status == 401)
        let keyAlone = try await stranger.run(base + "/report", ["-H", "X-API-Key: example-key"])
        #expect(keyAlone.status == 403)
        #expect(keyAlone.text.contains("Invalid client certificate"))
        #expect(process.stop(signal: SIGTERM) == 0)
    }
}
