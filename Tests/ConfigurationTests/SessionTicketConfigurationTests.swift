import Foundation
import GatehouseConfiguration
import Logging
import Testing

/// `sessionTicketKeyFile` and `ticketKeyRotation` under a listener's `tls`.
@Suite struct SessionTicketConfigurationTests {
    static func yaml(_ tls: String) -> String {
        """
        listeners:
          - port: 8443
            tls:
              certificate: pki/server.crt
              privateKey: pki/server.key
              \(tls)
        routes:
          - { path: /healthz, function: health }
        """
    }

    /// The service built from `yaml` with `pki/ticket.key` holding `keyBytes`, or the error it fails with.
    static func build(_ yaml: String, keyBytes: Int) throws -> Result<GatehouseService, ConfigurationError> {
        let file = try writeConfiguration(yaml)
        let key = (file as NSString).deletingLastPathComponent + "/pki/ticket.key"
        try Data((0..<keyBytes).map { _ in UInt8.random(in: 0...255) }).write(to: URL(fileURLWithPath: key))
        let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        do {
            return .success(try GatehouseService(configurationFile: file, logger: logger))
        } catch let error as ConfigurationError {
            return .failure(error)
        }
    }

    @Test func aKeyFileAndARotationAreRead() async throws {
        for bytes in [80, 160, 48] {
            let built = try Self.build(
                Self.yaml("sessionTicketKeyFile: pki/ticket.key\n      ticketKeyRotation: 30m"),
                keyBytes: bytes
            )
            let service = try built.get()
            #expect(await service.watchedPaths.contains { $0.hasSuffix("/pki/ticket.key") })
        }
    }

    @Test func aKeyFileOfAnotherLengthIsAnErrorWithItsLine() throws {
        let built = try Self.build(Self.yaml("sessionTicketKeyFile: pki/ticket.key"), keyBytes: 64)
        guard case .failure(let error) = built else {
            Issue.record("a 64-byte key file was accepted")
            return
        }
        #expect(error.keyPath == "listeners[0].tls.sessionTicketKeyFile", "\(error)")
        #expect(error.line == 6, "\(error)")
        #expect(error.problem.contains("ticket.key: 64 bytes; expected 1 to 16 keys of 80 bytes"), "\(error)")
    }

    @Test func aRotationOutOfRangeIsAnError() throws {
        let built = try Self.build(Self.yaml("ticketKeyRotation: 10s"), keyBytes: 80)
        guard case .failure(let error) = built else {
            Issue.record("a 10 s rotation was accepted")
            return
        }
        #expect(error.keyPath == "listeners[0].tls.ticketKeyRotation", "\(error)")
        #expect(error.problem.contains("must be between 60s and 24h"), "\(error)")
    }
}
