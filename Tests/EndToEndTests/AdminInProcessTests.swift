import Foundation
import GatehouseAuth
import GatehouseCertificateAuthority
import GatehouseCertificates
import GatehouseConfiguration
import GatehouseTransport
import Logging
import Metrics
import NIOCore
import Prometheus
import ServiceLifecycle
import TestSupport
import Testing

/// The admin listener's state and the bounded series, driven in-process: `/readyz` while draining, the
/// 1,000-series bound of the client-certificate expiry gauge, and the expiry warning's once-a-day rule.
@Suite("Admin and metrics, in-process")
struct AdminInProcessTests {
    @Test func readyzSaysDrainingWhileAnInFlightRequestFinishes() async throws {
        let folder = try ConfigurationFolder()
        let file = try folder.write(
            """
            listeners:
              - host: 127.0.0.1
                port: 0
                tls: { certificate: pki/server.crt, privateKey: pki/server.key }
            routes:
              - { path: /slow, function: slow }
            admin: { host: 127.0.0.1, port: 0 }
            shutdownGracePeriod: 20s
            """
        )
        var functions = FunctionRegistry.builtIn
        functions.register("slow", Slow())
        let logger = TestServer.quietLogger
        let service = try GatehouseService(
            configurationFile: file,
            functions: functions,
            logger: logger,
            metricsFactory: PrometheusMetricsFactory(registry: PrometheusCollectorRegistry())
        )
        let port = try #require(try await service.server.start().first?.port)
        let admin = try #require(service.admin)
        let adminPort = try #require(try await admin.start().first?.port)
        #expect(service.readiness.state == .starting)
        let curl = Curl(caFile: folder.pki.rootCAFile)
        #expect(try await curl.run("http://127.0.0.1:\(adminPort)/readyz").status == 503)

        let group = ServiceGroup(services: await service.services(), gracefulShutdownSignals: [], logger: logger)
        let running = Task { try await group.run() }
        let ready = await eventually { (try? await curl.run("http://127.0.0.1:\(adminPort)/readyz"))?.status == 200 }
        #expect(ready)

        let slow = Task { try await curl.run("https://127.0.0.1:\(port)/slow?ms=3000") }
        try await Task.sleep(for: .milliseconds(500))
        await group.triggerGracefulShutdown()
        let draining = await eventually(seconds: 2) {
            let answer = try? await curl.run("http://127.0.0.1:\(adminPort)/readyz")
            return answer?.status == 503 && answer?.text == "draining"
        }
        #expect(draining)
        #expect(try await curl.run("http://127.0.0.1:\(adminPort)/healthz").status == 200)
        #expect(try await slow.value.status == 200)
        _ = await running.result
    }

    @Test func anAdminListenerWithTLSGuardsMetricsWithItsPolicyAndLeavesProbesOpen() async throws {
        let folder = try ConfigurationFolder()
        let file = try folder.write(
            """
            listeners:
              - host: 127.0.0.1
                port: 0
                tls: { certificate: pki/server.crt, privateKey: pki/server.key }
            policies:
              monitoring:
                certificates: [pki/clients/]
            routes:
              - { path: /healthz, function: health }
            admin:
              host: 127.0.0.1
              port: 0
              tls: { certificate: pki/server.crt, privateKey: pki/server.key }
              policy: monitoring
            """
        )
        let logger = TestServer.quietLogger
        let service = try GatehouseService(configurationFile: file, logger: logger)
        _ = try await service.server.start()
        let admin = try #require(service.admin)
        let adminPort = try #require(try await admin.start().first?.port)
        let group = ServiceGroup(services: await service.services(), gracefulShutdownSignals: [], logger: logger)
        let running = Task { try await group.run() }
        let pki = folder.pki
        let url = "https://127.0.0.1:\(adminPort)"
        let stranger = Curl(
            caFile: pki.rootCAFile,
            clientCertificate: (pki.strangerClient.chainFile, pki.strangerClient.keyFile)
        )
        let scraper = Curl(caFile: pki.rootCAFile, clientCertificate: (pki.client.chainFile, pki.client.keyFile))
        #expect(try await Curl(caFile: pki.rootCAFile).run(url + "/metrics").status == 403)
        #expect(try await stranger.run(url + "/metrics").status == 403)
        let metrics = try await scraper.run(url + "/metrics")
        #expect(metrics.status == 200)
        // The service made its own Prometheus registry (no factory given, none bootstrapped): the admin policy's own
        // decisions are in it.
        let text = PrometheusText(metrics.text)
        let decisions = "gatehouse_client_certificate_decisions_total"
        #expect(text.value(decisions, ["policy": "monitoring", "result": "refused", "reason": "no_certificate"]) == 1)
        let strangerRefusals = text.samples(decisions, ["policy": "monitoring", "result": "refused"])
            .filter { $0.labels["reason"] != "no_certificate" }.map(\.value).reduce(0, +)
        #expect(strangerRefusals == 1)
        #expect(text.value(decisions, ["policy": "monitoring", "result": "allowed", "reason": "ok"]) == 1)
        #expect(try await Curl(caFile: pki.rootCAFile).run(url + "/healthz").status == 200)
        await group.triggerGracefulShutdown()
        _ = await running.result
    }

    /// A service for `file` whose metrics go to a registry of the test's own.
    private static func serviceWithRegistry(_ file: String) throws -> (GatehouseService, PrometheusCollectorRegistry) {
        let registry = PrometheusCollectorRegistry()
        let service = try GatehouseService(
            configurationFile: file,
            logger: TestServer.quietLogger,
            metricsFactory: PrometheusMetricsFactory(registry: registry)
        )
        return (service, registry)
    }

    @Test func decisionsAreStillCountedAfterAReload() async throws {
        let folder = try ConfigurationFolder()
        let file = try folder.write(
            """
            listeners:
              - host: 127.0.0.1
                port: 0
                tls: { certificate: pki/server.crt, privateKey: pki/server.key }
            policies:
              partners:
                trustedCAs: [pki/ca.crt]
            routes:
              - { path: /api/hello, function: hello, policy: partners }
            admin: { host: 127.0.0.1, port: 0 }
            """
        )
        let (service, registry) = try Self.serviceWithRegistry(file)
        let port = try #require(try await service.server.start().first?.port)
        let pki = folder.pki
        // A new curl process per request: a new connection, so a new decision each time.
        let client = Curl(caFile: pki.rootCAFile, clientCertificate: (pki.client.chainFile, pki.client.keyFile))
        func allowed() -> Double? {
            PrometheusText(registry.emitToString()).value(
                "gatehouse_client_certificate_decisions_total",
                ["policy": "partners", "result": "allowed", "reason": "ok"]
            )
        }
        #expect(try await client.run("https://127.0.0.1:\(port)/api/hello").status == 200)
        #expect(allowed() == 1)
        // The reload builds new authenticators; they report to the same monitor, into the same registry.
        #expect(await service.reload(reason: "test"))
        #expect(try await client.run("https://127.0.0.1:\(port)/api/hello").status == 200)
        #expect(allowed() == 2)
        await service.server.shutdown()
    }

    @Test func connectionsRefusedByMaxConnectionsAreCounted() async throws {
        let folder = try ConfigurationFolder()
        let file = try folder.write(
            """
            listeners:
              - name: public
                host: 127.0.0.1
                port: 0
                tls: { certificate: pki/server.crt, privateKey: pki/server.key }
                limits: { maxConnections: 2, handshakeTimeout: 300s }   # the silent connections stay open on a slow run
            routes:
              - { path: /healthz, function: health }
            admin: { host: 127.0.0.1, port: 0 }
            """
        )
        let (service, registry) = try Self.serviceWithRegistry(file)
        let port = try #require(try await service.server.start().first?.port)
        func value(_ name: String) -> Double? {
            PrometheusText(registry.emitToString()).value(name, ["listener": "public"])
        }
        // Plain TCP connections that send nothing: admitted (or refused) at accept, before any TLS.
        let connections = try (0..<5).map { _ in try TCPConnection(port: port) }
        let counted = await eventually(seconds: 5) { value("gatehouse_connections_refused_total") == 3 }
        #expect(counted, "refused: \(String(describing: value("gatehouse_connections_refused_total")))")
        #expect(value("gatehouse_connections_total") == 2)
        #expect(value("gatehouse_connections_open") == 2)
        for connection in connections { connection.close() }
        await service.server.shutdown()
    }

    @Test func theClientCertificateExpirySeriesKeepAtMost1000AndForgetAfterADay() throws {
        let registry = PrometheusCollectorRegistry()
        let gauges = ClientCertificateExpiryGauges(
            policy: "partners",
            factory: PrometheusMetricsFactory(registry: registry)
        )
        let pki = try TestPKI.shared()
        let key = try PrivateKey.generate()
        let start = Date()
        var certificates: [Certificate] = []
        for index in 0..<1_050 {
            let spec = CertificateSpec(
                subject: [.organization("Gatehouse Tests"), .commonName("many-\(index)")],
                kind: .client,
                notBefore: start.addingTimeInterval(-60)
            )
            let certificate = try pki.intermediateAuthority.issue(spec, key: key).certificate
            certificates.append(certificate)
            gauges.saw(certificate, at: start.addingTimeInterval(Double(index)))
        }
        let name = "gatehouse_client_certificate_expiry_timestamp_seconds"
        var series = PrometheusText(registry.emitToString()).samples(name)
        #expect(series.count == 1_000)
        #expect(gauges.count == 1_000)
        // The 50 least recently seen went first; the newest are there with their notAfter.
        let kept = Set(series.map { $0.labels["sha256"] ?? "" })
        #expect(!kept.contains(certificates[0].sha256.hexString))
        #expect(!kept.contains(certificates[49].sha256.hexString))
        #expect(kept.contains(certificates[50].sha256.hexString))
        let last = try #require(certificates.last)
        #expect(
            series.first { $0.labels["sha256"] == last.sha256.hexString }?.value == last.notAfter.timeIntervalSince1970
        )

        // Seen again, a kept certificate survives the next eviction; a day later every series is gone.
        gauges.saw(certificates[50], at: start.addingTimeInterval(2_000))
        gauges.saw(certificates[0], at: start.addingTimeInterval(2_001))
        series = PrometheusText(registry.emitToString()).samples(name)
        let afterRenewal = Set(series.map { $0.labels["sha256"] ?? "" })
        #expect(afterRenewal.contains(certificates[50].sha256.hexString))
        #expect(!afterRenewal.contains(certificates[51].sha256.hexString))
        #expect(series.count == 1_000)
        gauges.prune(at: start.addingTimeInterval(1_050 + 86_400))
        #expect(PrometheusText(registry.emitToString()).samples(name).count == 2)
        gauges.prune(at: start.addingTimeInterval(2_002 + 86_400))
        #expect(PrometheusText(registry.emitToString()).samples(name).isEmpty)
        #expect(gauges.count == 0)
    }

    @Test func withMetricsOffNoExpirySeriesAreKept() throws {
        let gauges = ClientCertificateExpiryGauges(policy: "partners", factory: NOOPMetricsHandler.instance)
        gauges.saw(try TestPKI.shared().client.certificate, at: Date())
        #expect(gauges.count == 0)
    }

    @Test func anExpiringCertificateIsWarnedAboutOnceADayAndTheSetIsBounded() throws {
        let log = CapturedLog()
        let warnings = ExpiryWarnings(window: .seconds(14 * 86_400), logger: log.logger, capacity: 2)
        let pki = try TestPKI.shared()
        let now = Date()
        func minted(_ name: String, daysLeft: Double) throws -> Certificate {
            let spec = CertificateSpec(
                subject: [.commonName(name)],
                kind: .client,
                notBefore: now.addingTimeInterval(-60),
                notAfter: now.addingTimeInterval(daysLeft * 86_400 + 60)
            )
            return try pki.intermediateAuthority.issue(spec).certificate
        }
        let soon = try minted("soon", daysLeft: 5)
        let later = try minted("later", daysLeft: 30)
        warnings.check(soon, policy: "partners", at: now)
        warnings.check(soon, policy: "others", at: now)
        warnings.check(later, policy: "partners", at: now)
        var lines = log.lines(containing: "client certificate expires soon")
        #expect(lines.count == 1, "\(log.lines)")
        #expect(lines.first?.contains("sha256=\(soon.sha256.hexString)") == true)
        #expect(lines.first?.contains("daysLeft=5") == true)
        #expect(lines.first?.contains("subject=CN=soon") == true)

        warnings.check(soon, policy: "partners", at: now.addingTimeInterval(86_400))
        lines = log.lines(containing: "client certificate expires soon")
        #expect(lines.count == 2, "the next day warns again")

        // Two remembered a day: the third certificate is not warned about, and one line says so.
        let tomorrow = now.addingTimeInterval(86_400)
        for name in ["a", "b", "c", "d"] { warnings.check(try minted(name, daysLeft: 3), policy: "p", at: tomorrow) }
        #expect(log.lines(containing: "client certificate expires soon").count == 3)
        #expect(log.lines(containing: "no more warnings today").count == 1)

        warnings.update(window: .zero)
        warnings.check(try minted("off", daysLeft: 1), policy: "p", at: now.addingTimeInterval(3 * 86_400))
        #expect(
            log.lines(containing: "client certificate expires soon").count == 3,
            "a window of 0 warns about nothing"
        )
    }
}
