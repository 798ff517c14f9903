import GatehouseTransport
import Testing

@testable import GatehouseConfiguration

@Suite struct ListenerChangesTests {
    static func listener(_ name: String? = nil, port: Int, certificate: String = "a.crt") -> ListenerConfiguration {
        ListenerConfiguration(
            name: name,
            host: "127.0.0.1",
            port: port,
            tls: TLSConfiguration(identity: .pem(certificateChainFile: certificate, privateKeyFile: "a.key"))
        )
    }

    @Test func tlsAndNameChangesApplyAddressAndLimitChangesWaitForARestart() {
        let running = [Self.listener(port: 8443), Self.listener("admin", port: 9443)]
        var new = [Self.listener("public", port: 8443, certificate: "renewed.crt"), Self.listener("admin", port: 9444)]
        new[0].limits.idleTimeout = .seconds(5)
        new[0].limits.maxBodySize = 10
        let changes = ListenerChanges(running: running, new: new)
        #expect(changes.counterparts == [0, 1])
        #expect(
            changes.pending.map(\.description) == [
                "listeners[0]: limits.maxBodySize, limits.idleTimeout",
                "listeners[1] (admin): port",
            ]
        )
    }

    @Test func nothingPendsWhenOnlyTLSChanged() {
        let changes = ListenerChanges(
            running: [Self.listener(port: 1)],
            new: [Self.listener(port: 1, certificate: "b.crt")]
        )
        #expect(changes.counterparts == [0])
        #expect(changes.pending.isEmpty)
    }

    @Test func whenTheCountChangesListenersPairByNameOrAddress() {
        let running = [Self.listener(port: 1), Self.listener("admin", port: 2), Self.listener(port: 3)]
        // The first listener is gone; admin moved to port 20; new ones on ports 4 and 5.
        let new = [
            Self.listener("admin", port: 20), Self.listener(port: 3), Self.listener(port: 4), Self.listener(port: 5),
        ]
        let changes = ListenerChanges(running: running, new: new)
        #expect(changes.counterparts == [nil, 0, 1])
        #expect(
            changes.pending.map(\.description) == [
                "listeners[0]: removed",
                "listeners[1] (admin): port",
                "listeners[2]: added",
                "listeners[3]: added",
            ]
        )
    }

    @Test func namedListenersPairByNameEvenWhenTheirOrderChanged() {
        let running = [Self.listener("public", port: 1), Self.listener("admin", port: 2)]
        let new = [Self.listener("admin", port: 2, certificate: "b.crt"), Self.listener("public", port: 1)]
        let changes = ListenerChanges(running: running, new: new)
        #expect(changes.counterparts == [1, 0])
        #expect(changes.pending.isEmpty)
        // A renamed listener keeps its position.
        let renamed = ListenerChanges(
            running: running,
            new: [Self.listener("edge", port: 1), Self.listener("admin", port: 2)]
        )
        #expect(renamed.counterparts == [0, 1])
    }

    @Test func everyLimitIsNamedByItsConfigurationKey() {
        var changed = ConnectionLimits()
        changed.requestBodyTimeout = .seconds(1)
        changed.maxConnections = 7
        #expect(ConnectionLimits().changedKeys(comparedTo: changed) == ["requestBodyTimeout", "maxConnections"])
        #expect(ConnectionLimits().changedKeys(comparedTo: ConnectionLimits()).isEmpty)
    }

    /// The chain-size limit belongs to the TLS context, which a reload rebuilds: it applies without a restart.
    @Test func theClientCertificateChainSizeAppliesWithoutARestart() {
        let running = Self.listener("edge", port: 1)
        var new = running
        new.limits.maxClientCertificateChainSize = 2048
        #expect(ListenerChanges.restartKeys(from: running, to: new).isEmpty)
        new.limits.maxConnections = 7
        #expect(ListenerChanges.restartKeys(from: running, to: new) == ["limits.maxConnections"])
    }
}
