import Foundation
import TestSupport
import Testing

/// `gatehouse serve --config` as a child process, for tests that play a hostile client and measure what the
/// server holds (`/proc/PID`) before and after. The folder is a ``ConfigurationFolder`` (server chain and key,
/// root CA, `pki/clients/client.crt`); the listener is on a free loopback port.
final class ServerProcess {
    let folder: ConfigurationFolder
    let port: Int
    let process: ChildProcess

    /// Starts a server whose single listener has `limits` (YAML flow-mapping entries, e.g.
    /// `requestBodyTimeout: 2s`) and `clientCertificate` mode; `/api/hello` behind policy `partners` (trusting the
    /// test root CA), `/` (every method: the body is read whole before the function answers `ok`) and `/healthz` open.
    /// `extraYAML` is appended to the file (more routes need their own `routes:` entries there).
    init(limits: String = "", clientCertificate: String = "request", extraYAML: String = "") throws {
        self.folder = try ConfigurationFolder()
        self.port = try freeLoopbackPort()
        let limitsLine = limits.isEmpty ? "" : "\n    limits: { \(limits) }"
        let file = try self.folder.write(
            """
            listeners:
              - host: 127.0.0.1
                port: \(self.port)
                tls: { certificate: pki/server.crt, privateKey: pki/server.key, clientCertificate: \(clientCertificate), trustedCAs: [pki/ca.crt] }\(limitsLine)
            policies:
              partners:
                trustedCAs: [pki/ca.crt]
            routes:
              - { path: /api/hello, function: hello, policy: partners }
              - { path: /, function: health }
              - { path: /healthz, function: health }
            \(extraYAML)
            """
        )
        self.process = try ChildProcess(
            try builtExecutable("gatehouse"),
            ["serve", "--config", file, "--log-level", "warning", "--event-loops", "1"],
            in: self.folder.path
        )
        guard self.waitUntilAccepting(timeout: 30) else {
            _ = self.process.stop(signal: SIGKILL)
            throw ServerProcessError.notAccepting(self.process.readErrors(timeout: 1) { _ in true })
        }
        // The banner comes once start-up is over (and its pages were given back): measurements start from there.
        _ = self.process.readOutput(timeout: 30) { $0.contains("Gatehouse is listening") }
    }

    deinit { _ = self.process.stop(signal: SIGKILL) }

    var pid: Int32 { self.process.pid }

    /// RSS and open descriptors now.
    func resources() throws -> ProcessResources { try ProcessResources(pid: self.pid) }

    /// Stops the server (SIGTERM, graceful) and returns its exit status.
    func stop() -> Int32 { self.process.stop(signal: SIGTERM) }

    /// A raw TLS connection presenting the test client's certificate (or none).
    func connect(withCertificate: Bool = true, alpn: [String] = ["http/1.1"]) throws -> RawTLSClient {
        let pki = self.folder.pki
        return try RawTLSClient(
            port: self.port,
            certificateChainFile: withCertificate ? pki.client.chainFile : nil,
            keyFile: withCertificate ? pki.client.keyFile : nil,
            alpn: alpn
        )
    }

    private func waitUntilAccepting(timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline && self.process.process.isRunning {
            if (try? RawTLSClient(port: self.port)) != nil { return true }
            usleep(50_000)
        }
        return false
    }
}

enum ServerProcessError: Error { case notAccepting(String) }
