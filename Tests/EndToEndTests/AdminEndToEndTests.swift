import Foundation
import GatehouseCertificateAuthority
import GatehouseCertificates
import GatehouseTransport
import TestSupport
import Testing

/// `gatehouse serve` with an `admin:` listener, as a child process: `/metrics` after real HTTP/1.1 and HTTP/2
/// requests with allowed, refused, reported and missing certificates, `/healthz`, `/readyz`, reloads, and the admin
/// listener's connection bound measured in `/proc/PID/fd`.
@Suite("Admin listener: metrics, health and readiness of a real server process")
struct AdminEndToEndTests {
    /// A server process whose configuration has an admin listener on plain HTTP.
    final class AdminProcess {
        let folder: ConfigurationFolder
        let port: Int
        let adminPort: Int
        let process: ChildProcess
        let file: String
        /// A client whose certificate expires in three days.
        let soon: TestIdentity
        let crl: CertificateRevocationList

        init() throws {
            self.folder = try ConfigurationFolder()
            self.port = try freeLoopbackPort()
            self.adminPort = try freeLoopbackPort()
            let pki = self.folder.pki
            self.crl = try pki.rootAuthority.issueCRL(
                revoking: [],
                lastUpdate: Date().addingTimeInterval(-60),
                nextUpdate: Date().addingTimeInterval(7 * 86_400)
            )
            try self.crl.pemString.write(toFile: self.folder.path + "/pki/ca.crl", atomically: true, encoding: .utf8)
            let soon = try pki.intermediateAuthority.issue(
                CertificateSpec(
                    subject: [.organization("Gatehouse Tests"), .commonName("expires soon")],
                    kind: .client,
                    notBefore: Date().addingTimeInterval(-3600),
                    notAfter: Date().addingTimeInterval(3 * 86_400 + 3600)
                )
            )
            try [soon.certificate, pki.intermediateCA].pemString.write(
                toFile: self.folder.path + "/pki/soon.crt",
                atomically: true,
                encoding: .utf8
            )
            try Data(soon.key.pemBytes()).write(to: URL(fileURLWithPath: self.folder.path + "/pki/soon.key"))
            self.soon = TestIdentity(
                name: "soon",
                certificate: soon.certificate,
                key: soon.key,
                chain: [soon.certificate, pki.intermediateCA],
                certificateFile: self.folder.path + "/pki/soon.crt",
                keyFile: self.folder.path + "/pki/soon.key",
                chainFile: self.folder.path + "/pki/soon.crt"
            )
            self.file = try self.folder.write(Self.yaml(port: self.port, adminPort: self.adminPort))
            self.process = try ChildProcess(
                try builtExecutable("gatehouse"),
                ["serve", "--config", self.file, "--log-level", "warning", "--event-loops", "1"],
                in: self.folder.path
            )
        }

        deinit { _ = self.process.stop(signal: SIGKILL) }

        static func yaml(port: Int, adminPort: Int, extra: String = "") -> String {
            """
            listeners:
              - name: public
                host: 127.0.0.1
                port: \(port)
                tls: { certificate: pki/server.crt, privateKey: pki/server.key }
                limits: { handshakeTimeout: 1s }
            policies:
              partners:
                trustedCAs: [pki/ca.crt]
              observers:
                trustedCAs: [pki/ca.crt]
                crls: [pki/ca.crl]
                mode: report
              pinned:
                certificates: [pki/clients/]
            routes:
              - { path: /api/hello, function: hello, policy: partners }
              - { path: /api/report, function: hello, policy: observers }
              - { path: /healthz, function: health }
            admin: { host: 127.0.0.1, port: \(adminPort) }
            \(extra)
            """
        }

        var pki: TestPKI { self.folder.pki }

        /// curl to the public listener presenting `identity` (or nothing).
        func request(_ path: String, as identity: TestIdentity?, http2: Bool) async throws -> CurlResult {
            let curl = Curl(caFile: self.pki.rootCAFile, clientCertificate: identity.map { ($0.chainFile, $0.keyFile) })
            return try await curl.run("https://127.0.0.1:\(self.port)\(path)", [http2 ? "--http2" : "--http1.1"])
        }

        /// curl to the admin listener (plain HTTP).
        func admin(_ path: String, _ arguments: [String] = []) async throws -> CurlResult {
            try await Curl(caFile: self.pki.rootCAFile).run("http://127.0.0.1:\(self.adminPort)\(path)", arguments)
        }

        func scrape() async throws -> PrometheusText {
            let result = try await self.admin("/metrics")
            try #require(result.status == 200, "\(result.stderr)")
            return PrometheusText(result.text)
        }

        /// Waits until `/readyz` answers 200.
        func waitUntilReady() async throws {
            let ready = await eventually(seconds: 30) { (try? await self.admin("/readyz"))?.status == 200 }
            try #require(ready, "\(self.process.readErrors(timeout: 1) { _ in true })")
        }
    }

    @Test func metricsCountEveryKindOfDecisionHandshakeAndConnection() async throws {
        let server = try AdminProcess()
        try await server.waitUntilReady()
        let pki = server.pki
        for http2 in [false, true] {
            #expect(try await server.request("/api/hello", as: pki.client, http2: http2).status == 200)
            #expect(try await server.request("/api/hello", as: pki.strangerClient, http2: http2).status == 403)
            #expect(try await server.request("/api/hello", as: nil, http2: http2).status == 403)
            #expect(try await server.request("/api/report", as: pki.strangerClient, http2: http2).status == 200)
        }
        // A handshake that fails (plain HTTP to the TLS port) and one that times out (a silent TCP connection).
        _ = try await Curl(caFile: pki.rootCAFile).run("http://127.0.0.1:\(server.port)/", timeout: 5)
        let silent = try TCPConnection(port: server.port)
        try await Task.sleep(for: .milliseconds(1600))
        silent.close()

        let decisions = "gatehouse_client_certificate_decisions_total"
        let ok = await eventually(seconds: 10) {
            (try? await server.scrape())?.value("gatehouse_connections_open", ["listener": "public"]) == 0
        }
        #expect(ok, "connections still open")
        let metrics = try await server.scrape()
        #expect(metrics.value(decisions, ["policy": "partners", "result": "allowed", "reason": "ok"]) == 2)
        #expect(metrics.value(decisions, ["policy": "partners", "result": "refused", "reason": "untrusted"]) == 2)
        #expect(metrics.value(decisions, ["policy": "partners", "result": "refused", "reason": "no_certificate"]) == 2)
        #expect(metrics.value(decisions, ["policy": "observers", "result": "reported", "reason": "untrusted"]) == 2)
        #expect(metrics.value(decisions, ["policy": "observers", "result": "allowed", "reason": "ok"]) == 0)
        #expect(metrics.value(decisions, ["policy": "partners", "result": "refused", "reason": "expired"]) == 0)

        let listener = ["listener": "public"]
        #expect(metrics.value("gatehouse_connections_total", listener) == 10)
        let handshakes = "gatehouse_tls_handshakes_total"
        #expect(metrics.value(handshakes, ["listener": "public", "result": "ok", "resumed": "false"]) == 8)
        #expect(metrics.value(handshakes, ["listener": "public", "result": "ok", "resumed": "true"]) == 0)
        #expect(metrics.value(handshakes, ["listener": "public", "result": "failed", "resumed": "false"]) == 1)
        #expect(metrics.value(handshakes, ["listener": "public", "result": "timeout", "resumed": "false"]) == 1)

        // The allowed client's notAfter; the refused and reported stranger has no series.
        let client = pki.client.certificate
        let clientExpiry = "gatehouse_client_certificate_expiry_timestamp_seconds"
        #expect(
            metrics.value(
                clientExpiry,
                ["policy": "partners", "subject": client.subject, "sha256": client.sha256.hexString]
            )
                == client.notAfter.timeIntervalSince1970
        )
        #expect(metrics.samples(clientExpiry).count == 1)

        let expiry = "gatehouse_certificate_expiry_timestamp_seconds"
        let serverLeaf = pki.server.certificate
        #expect(
            metrics.value(expiry, ["kind": "server", "name": "public", "sha256": serverLeaf.sha256.hexString])
                == serverLeaf.notAfter.timeIntervalSince1970
        )
        #expect(
            metrics.value(expiry, ["kind": "trusted_ca", "name": "partners", "subject": pki.rootCA.subject])
                == pki.rootCA.notAfter.timeIntervalSince1970
        )
        #expect(
            metrics.value(expiry, ["kind": "allow_list", "name": "pinned", "sha256": client.sha256.hexString])
                == client.notAfter.timeIntervalSince1970
        )
        #expect(
            metrics.value(expiry, ["kind": "crl", "name": "observers", "subject": server.crl.issuer])
                == server.crl.nextUpdate?.timeIntervalSince1970
        )

        // The request histogram of the service's own factory has the bounds for seconds, 1 ms to 5 s.
        let duration = "gatehouse_request_duration_seconds_bucket"
        let hello = ["listener": "public", "route": "/api/hello", "protocol": "h2"]
        let bounds = metrics.samples(duration, hello).compactMap { $0.labels["le"] }
        #expect(bounds == RequestMetrics.durationBuckets.map { "\($0)" } + ["+Inf"], "\(bounds)")
        #expect(metrics.value(duration, hello.merging(["le": "5.0"]) { $1 }) == 3)
        #expect(
            metrics.value("gatehouse_requests_total", hello.merging(["method": "GET", "status": "403"]) { $1 }) == 2
        )
        #expect(metrics.value("gatehouse_config_reloads_total", ["result": "success"]) == 0)
        #expect(metrics.value("gatehouse_config_reloads_total", ["result": "failure"]) == 0)
        #expect(metrics.value("gatehouse_config_generation") == 1)
        let loaded = try #require(metrics.value("gatehouse_config_last_reload_success_timestamp_seconds"))
        #expect(abs(loaded - Date().timeIntervalSince1970) < 600)

        let fds = try #require(metrics.value("process_open_fds"))
        #expect(fds > 3 && fds < 1000)
        #expect(try #require(metrics.value("process_resident_memory_bytes")) > 1_000_000)
        let started = try #require(metrics.value("process_start_time_seconds"))
        #expect(started <= Date().timeIntervalSince1970 + 2 && started > Date().timeIntervalSince1970 - 600)
    }

    @Test func adminAnswersHealthReadinessAndRefusesOtherPathsAndMethods() async throws {
        let server = try AdminProcess()
        try await server.waitUntilReady()
        let metrics = try await server.admin("/metrics")
        #expect(metrics.headers.lowercased().contains("content-type: text/plain; version=0.0.4"), "\(metrics.headers)")
        let health = try await server.admin("/healthz")
        #expect(health.status == 200 && health.text == "ok")
        let ready = try await server.admin("/readyz")
        #expect(ready.status == 200 && ready.text == "ready")
        #expect(try await server.admin("/nope").status == 404)
        let post = try await server.admin("/metrics", ["-X", "POST"])
        #expect(post.status == 405)
        #expect(post.headers.lowercased().contains("allow: get"), "\(post.headers)")
    }

    @Test func aClientCertificateThatExpiresSoonIsWarnedAboutOnceADay() async throws {
        let server = try AdminProcess()
        try await server.waitUntilReady()
        for _ in 0..<3 {
            #expect(try await server.request("/api/hello", as: server.soon, http2: false).status == 200)
        }
        let sha256 = server.soon.certificate.sha256.hexString
        let log = server.process.readErrors(timeout: 10) { $0.contains("client certificate expires soon") }
        let lines = log.split(separator: "\n").filter { $0.contains("client certificate expires soon") }
        #expect(lines.count == 1, "\(log)")
        #expect(lines.first?.contains("sha256=\(sha256)") == true, "\(log)")
        #expect(lines.first?.contains("daysLeft=3") == true, "\(log)")
        #expect(lines.first?.contains("CN=expires soon") == true, "\(log)")
    }

    @Test func reloadsMoveTheReloadSeriesAndAnAdminChangeIsLogged() async throws {
        let server = try AdminProcess()
        try await server.waitUntilReady()
        // Broken: an unknown key. The watcher reloads on its own.
        try server.folder.write(AdminProcess.yaml(port: server.port, adminPort: server.adminPort, extra: "bogus: 1"))
        let failed = await eventually(seconds: 15) {
            ((try? await server.scrape())?.value("gatehouse_config_reloads_total", ["result": "failure"]) ?? 0) >= 1
        }
        #expect(failed)
        #expect(try await server.scrape().value("gatehouse_config_generation") == 1)

        // Good again, with the admin port changed: applied except the admin change, which is logged.
        let before = try #require(
            try await server.scrape().value("gatehouse_config_last_reload_success_timestamp_seconds")
        )
        try await Task.sleep(for: .milliseconds(1100))
        let otherPort = try freeLoopbackPort()
        try server.folder.write(AdminProcess.yaml(port: server.port, adminPort: otherPort))
        let succeeded = await eventually(seconds: 15) {
            (try? await server.scrape())?.value("gatehouse_config_reloads_total", ["result": "success"]) == 1
        }
        #expect(succeeded)
        let metrics = try await server.scrape()
        #expect(metrics.value("gatehouse_config_generation") == 2)
        #expect(try #require(metrics.value("gatehouse_config_last_reload_success_timestamp_seconds")) > before)
        let log = server.process.readErrors(timeout: 10) { $0.contains("listener=admin") }
        #expect(log.contains("listener change not applied") && log.contains("changed=port"), "\(log)")
    }

    @Test func theAdminListenerHoldsAtMost64Connections() async throws {
        let server = try AdminProcess()
        try await server.waitUntilReady()
        try await Task.sleep(for: .milliseconds(300))
        let baseline = try server.process.openFileDescriptors()
        let hostile = try (0..<150).map { _ in try TCPConnection(port: server.adminPort) }
        try await Task.sleep(for: .milliseconds(800))
        let held = try server.process.openFileDescriptors()
        // Each admitted connection holds one descriptor; the rest are closed as they arrive.
        #expect(held - baseline <= 64 + 4, "baseline \(baseline), with 150 connections \(held)")
        #expect(held - baseline >= 60, "baseline \(baseline), with 150 connections \(held)")
        for connection in hostile { connection.close() }
        let recovered = await eventually(seconds: 10) { (try? await server.admin("/readyz"))?.status == 200 }
        #expect(recovered)
    }
}

/// A plain TCP connection that sends nothing, for handshake timeouts and connection limits.
final class TCPConnection {
    private var socket: Int32

    init(port: Int) throws {
        self.socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard self.socket >= 0 else { throw POSIXError(.EMFILE) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(self.socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard connected else {
            Glibc.close(self.socket)
            throw POSIXError(.ECONNREFUSED)
        }
    }

    func close() {
        if self.socket >= 0 { Glibc.close(self.socket) }
        self.socket = -1
    }

    deinit { self.close() }
}
