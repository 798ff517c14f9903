import Foundation
import GatehouseCertificates
import GatehouseClient
import GatehouseConfiguration
import HTTPTypes
import Synchronization
import TestSupport
import Testing

@Suite("Live reload of configuration and trust material")
struct ReloadEndToEndTests {
    static let allowList = "trustedCAs: [pki/ca.crt]\ncertificates: [pki/clients/]"

    @Test func certificateRemovedFromTheAllowListIsRefusedOnTheSameConnectionThenAcceptedWhenDroppedBack() async throws
    {
        let folder = try ConfigurationFolder()
        let file = try folder.write(ConfigurationFolder.yaml(policy: Self.allowList))
        try await withConfiguredServer(file) { service, port in
            let client = try partnerClient(folder.pki)
            defer { Task { await client.shutdown() } }
            let base = "https://127.0.0.1:\(port)"
            let first = try await client.execute(.get, base + "/connection")
            #expect(first.status == .ok)
            let connection = first.bodyText

            // The operator removes the certificate: refused on the next request of the same HTTP/2 connection.
            try FileManager.default.removeItem(atPath: folder.path + "/pki/clients/client.crt")
            #expect(await eventually { await service.reloadCount == 1 }, "the watcher picked the change up")
            let refused = try await client.execute(.get, base + "/api/hello?name=gone")
            #expect(refused.status.code == 403)
            #expect(refused.bodyText.contains("Invalid client certificate"))

            // The renewal story: drop the certificate in, accepted without a restart, still the same connection.
            try folder.copy(folder.pki.client.certificateFile, to: "pki/clients/renewed.crt")
            #expect(await eventually { await service.reloadCount == 2 })
            let accepted = try await client.execute(.get, base + "/connection")
            #expect(accepted.status == .ok)
            #expect(accepted.bodyText == connection, "one connection throughout")
        }
    }

    @Test func brokenNewConfigurationIsRefusedAndTheOldOneKeepsServing() async throws {
        let folder = try ConfigurationFolder()
        let file = try folder.write(ConfigurationFolder.yaml(policy: Self.allowList))
        try await withConfiguredServer(file) { service, port in
            try folder.write(
                ConfigurationFolder.yaml(policy: Self.allowList).replacingOccurrences(
                    of: "policy: partners",
                    with: "policy: nobody"
                )
            )
            #expect(await service.reload(reason: "test") == false)
            let client = try partnerClient(folder.pki)
            defer { Task { await client.shutdown() } }
            let response = try await client.execute(.get, "https://127.0.0.1:\(port)/api/hello?name=still")
            #expect(response.bodyText == "Hello, still.")
            #expect(await service.reloadCount == 0)
        }
    }

    @Test func aReloadChangesThePolicyForTheNextRequest() async throws {
        let folder = try ConfigurationFolder()
        let strict = "trustedCAs: [pki/ca.crt]\nidentities:\n  - commonName: someone-else"
        let file = try folder.write(ConfigurationFolder.yaml(policy: strict))
        try await withConfiguredServer(file) { service, port in
            let client = try partnerClient(folder.pki)
            defer { Task { await client.shutdown() } }
            let url = "https://127.0.0.1:\(port)/api/hello?name=reloaded"
            #expect(try await client.execute(.get, url).status.code == 403)
            try folder.write(
                ConfigurationFolder.yaml(policy: "trustedCAs: [pki/ca.crt]\nidentities:\n  - commonName: client")
            )
            #expect(await service.reload(reason: "SIGHUP"))
            #expect(try await client.execute(.get, url).bodyText == "Hello, reloaded.")
        }
    }

    @Test func aRequestInFlightFinishesOnThePolicyItStartedWith() async throws {
        let folder = try ConfigurationFolder()
        let file = try folder.write(ConfigurationFolder.yaml(policy: Self.allowList))
        try await withConfiguredServer(file) { service, port in
            let client = try partnerClient(folder.pki)
            defer { Task { await client.shutdown() } }
            let tag = "inflight-\(UUID().uuidString)"
            async let slow = client.execute(.get, "https://127.0.0.1:\(port)/slow?ms=1500&tag=\(tag)")
            #expect(await eventually { SlowRequests.started.withLock { $0.contains(tag) } })
            try FileManager.default.removeItem(atPath: folder.path + "/pki/clients/client.crt")
            #expect(await service.reload(reason: "test"))
            #expect(try await client.execute(.get, "https://127.0.0.1:\(port)/api/hello").status.code == 403)
            #expect(try await slow.bodyText == "done \(tag)", "the in-flight request kept its decision")
        }
    }

    /// Kubernetes mounts a Secret as `ca.crt -> ..data/ca.crt`, `..data -> ..<timestamp>`, and updates it by an
    /// atomic rename of a new `..data` link.
    @Test func kubernetesSecretSwapOfTheTrustedCAIsPickedUp() async throws {
        let folder = try ConfigurationFolder()
        let mount = folder.path + "/secret"
        let fileManager = FileManager.default
        try fileManager.createDirectory(atPath: mount + "/..2026_11_29_01", withIntermediateDirectories: true)
        try fileManager.copyItem(atPath: folder.pki.strangerCAFile, toPath: mount + "/..2026_11_29_01/ca.crt")
        try fileManager.createSymbolicLink(atPath: mount + "/..data", withDestinationPath: "..2026_11_29_01")
        try fileManager.createSymbolicLink(atPath: mount + "/ca.crt", withDestinationPath: "..data/ca.crt")
        let file = try folder.write(ConfigurationFolder.yaml(policy: "trustedCAs: [secret/ca.crt]"))
        try await withConfiguredServer(file) { service, port in
            let client = try partnerClient(folder.pki)
            defer { Task { await client.shutdown() } }
            let url = "https://127.0.0.1:\(port)/api/hello?name=k8s"
            #expect(try await client.execute(.get, url).status.code == 403, "only the stranger CA is trusted yet")

            try fileManager.createDirectory(atPath: mount + "/..2026_11_29_02", withIntermediateDirectories: true)
            try fileManager.copyItem(atPath: folder.pki.rootCAFile, toPath: mount + "/..2026_11_29_02/ca.crt")
            try fileManager.createSymbolicLink(atPath: mount + "/..data_tmp", withDestinationPath: "..2026_11_29_02")
            #expect(rename(mount + "/..data_tmp", mount + "/..data") == 0)
            try fileManager.removeItem(atPath: mount + "/..2026_11_29_01")

            #expect(await eventually { await service.reloadCount == 1 })
            #expect(try await client.execute(.get, url).bodyText == "Hello, k8s.")
        }
    }

    /// The issue-13 scenario: one reload renews the server certificate and changes a limit. The certificate is
    /// served from then on; the limit waits for a restart, and the log says so for that listener and that key.
    @Test func aRenewedServerCertificateIsServedEvenWhenALimitChangeInTheSameReloadNeedsARestart() async throws {
        let folder = try ConfigurationFolder()
        let yaml = ConfigurationFolder.yaml(policy: Self.allowList)
        let file = try folder.write(yaml)
        let log = CapturedLog()
        try await withConfiguredServer(file, logger: log.logger) { service, port in
            let served = try await onOwnThread { try RawTLSClient(port: port).peerCertificateDER }
            #expect(served == folder.pki.server.certificate.derBytes)

            let renewed = try folder.writeRenewedServerCertificate(as: "pki/renewed")
            try folder.write(
                yaml
                    .replacingOccurrences(
                        of: "pki/server.crt, privateKey: pki/server.key",
                        with: "pki/renewed.crt, privateKey: pki/renewed.key"
                    )
                    .replacingOccurrences(of: "handshakeTimeout: 60s", with: "handshakeTimeout: 50s")
            )
            #expect(await service.reload(reason: "test"))

            let renewedServed = try await onOwnThread { try RawTLSClient(port: port).peerCertificateDER }
            #expect(renewedServed == renewed.derBytes, "the renewed certificate is served")
            #expect(await service.pendingRestart == ["listeners[0]: limits.handshakeTimeout"])
            #expect(
                !log.lines(containing: "listener change not applied", "listeners[0]", "changed=limits.handshakeTimeout")
                    .isEmpty,
                "\(log.lines)"
            )
            let reloaded = log.lines(containing: "configuration reloaded")
            #expect(!reloaded.isEmpty)
            #expect(reloaded.allSatisfy { $0.contains("except listener changes that need a restart") }, "\(reloaded)")
        }
    }

    /// ALPN is part of the listener's TLS context, so a protocol change applies to the next connection.
    @Test func aProtocolChangeAppliesWithoutARestart() async throws {
        let folder = try ConfigurationFolder()
        let yaml = ConfigurationFolder.yaml(policy: Self.allowList)
        try await withConfiguredServer(try folder.write(yaml)) { service, port in
            let before = try await onOwnThread {
                try RawTLSClient(port: port, alpn: ["h2", "http/1.1"]).negotiatedALPN
            }
            #expect(before == "h2")
            try folder.write(
                yaml.replacingOccurrences(of: "    port: 0\n", with: "    port: 0\n    protocols: [http/1.1]\n")
            )
            #expect(await service.reload(reason: "test"))
            #expect(await service.pendingRestart.isEmpty)
            let after = try await onOwnThread { try RawTLSClient(port: port, alpn: ["h2", "http/1.1"]).negotiatedALPN }
            #expect(after == "http/1.1")
        }
    }

    /// Triggers that arrive while a reload runs wait for it and share one more: never two at once, never one per
    /// trigger. (ReloadSequencerTests proves the order with a reload held open; this is the real service.)
    @Test func overlappingReloadsAreSerializedAndCoalesced() async throws {
        let folder = try ConfigurationFolder()
        let file = try folder.write(ConfigurationFolder.yaml(policy: Self.allowList))
        let log = CapturedLog()
        try await withConfiguredServer(file, logger: log.logger) { service, port in
            let triggers = 20
            let results = await withTaskGroup(of: Bool.self) { group in
                for index in 0..<triggers { group.addTask { await service.reload(reason: "burst \(index)") } }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(results == Array(repeating: true, count: triggers))
            let runs = await service.reloadRuns
            // The first trigger starts a reload; the other 19 arrive within microseconds, while it reads files for
            // milliseconds, so they share the next one: 2 runs in every measured run. Up to 5 leaves room for
            // stragglers on a loaded machine; one reload per trigger (20) fails.
            #expect(runs >= 2 && runs <= 5, "\(runs) reloads for \(triggers) triggers")
            #expect(await service.reloadCount == runs)
            #expect(log.lines(containing: "configuration reloaded").count == runs)
            // A shared reload names every trigger it served.
            let reasons = log.lines(containing: "configuration reloaded").joined()
            for index in 0..<triggers { #expect(reasons.contains("burst \(index)")) }
            let client = try partnerClient(folder.pki)
            defer { Task { await client.shutdown() } }
            #expect(
                try await client.execute(.get, "https://127.0.0.1:\(port)/api/hello?name=after").bodyText
                    == "Hello, after."
            )
        }
    }
}
