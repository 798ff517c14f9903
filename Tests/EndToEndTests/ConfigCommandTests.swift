import Foundation
import TestSupport
import Testing

@Suite("`gatehouse serve --config`", .serialized)
struct ConfigCommandTests {
    @Test func aBrokenConfigurationStopsTheStartWithFileKeyAndProblem() async throws {
        let folder = try ConfigurationFolder()
        let file = try folder.write(
            ConfigurationFolder.yaml(policy: "trustedCAs: [pki/ca.crt]", testRoutes: false).replacingOccurrences(
                of: "function: hello, policy: partners",
                with: "function: hello, policy: vendors"
            )
        )
        let output = try await runProcess(try builtExecutable("gatehouse"), ["serve", "--config", file])
        #expect(output.exitCode == 1)
        #expect(output.stderr.contains("\(file):"), "\(output.stderr)")
        #expect(output.stderr.contains("routes[0].policy: unknown policy 'vendors' (defined: partners)"))
    }

    @Test func anUnreadableCertificateIsNamed() async throws {
        let folder = try ConfigurationFolder()
        try "not a certificate".write(
            toFile: folder.path + "/pki/clients/broken.crt",
            atomically: true,
            encoding: .utf8
        )
        let file = try folder.write(
            ConfigurationFolder.yaml(
                policy: "trustedCAs: [pki/ca.crt]\ncertificates: [pki/clients/]",
                testRoutes: false
            )
        )
        let output = try await runProcess(try builtExecutable("gatehouse"), ["serve", "--config", file])
        #expect(output.exitCode == 1)
        #expect(output.stderr.contains("policies.partners.certificates"), "\(output.stderr)")
        #expect(output.stderr.contains("broken.crt"))
    }

    @Test func sighupReloadsAndTheServerKeepsServing() async throws {
        let folder = try ConfigurationFolder()
        let file = try folder.write(
            ConfigurationFolder.yaml(policy: "trustedCAs: [pki/ca.crt]", testRoutes: false)
        )
        let process = try ChildProcess(
            try builtExecutable("gatehouse"),
            ["serve", "--config", file, "--port", "0", "--log-level", "notice"],
            in: folder.path
        )
        defer { _ = process.stop(signal: SIGKILL) }
        let banner = process.readOutput { $0.contains("\n") }
        let port = try #require(
            banner.split(separator: ":").last.flatMap { Int($0.prefix { $0.isNumber }) },
            "\(banner)"
        )
        kill(process.pid, SIGHUP)
        let log = process.readErrors(timeout: 20) { $0.contains("configuration reloaded") }
        #expect(log.contains("SIGHUP"), "\(log)")
        let curl = Curl(
            caFile: folder.pki.rootCAFile,
            clientCertificate: (folder.pki.client.chainFile, folder.pki.client.keyFile)
        )
        #expect(try await curl.run("https://127.0.0.1:\(port)/api/hello?name=hup").text == "Hello, hup.")
        #expect(process.stop(signal: SIGTERM) == 0)
    }
}
