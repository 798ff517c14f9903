import Foundation
import GatehouseConfiguration
import GatehouseTransport
import TestSupport
import Testing

/// The TLS identity's secrets in the configuration file: `password` (with `${ENV}`), `passwordFile`, and PEM keys
/// that must not be encrypted.
@Suite struct SecretsConfigurationTests {
    func listener(_ tls: String) -> String {
        """
        listeners:
          - port: 8443
            tls: \(tls)
        routes:
          - { path: /healthz, function: health }
        """
    }

    func problem(_ yaml: String, prepare: (String) throws -> Void = { _ in }) throws -> String {
        let file = try writeConfiguration(yaml)
        try prepare((file as NSString).deletingLastPathComponent)
        let error = #expect(throws: ConfigurationError.self) { try loader.load(file: file) }
        return error.map { "\($0)" } ?? ""
    }

    @Test func passwordFileGivesItsFirstLine() throws {
        let file = try writeConfiguration(self.listener("{ pkcs12: pki/server.pfx, passwordFile: pki/pfx.password }"))
        let directory = (file as NSString).deletingLastPathComponent
        try "gatehouse-test\nignored\n".write(
            toFile: directory + "/pki/pfx.password",
            atomically: false,
            encoding: .utf8
        )
        let configuration = try loader.load(file: file)
        #expect(
            configuration.listeners[0].tls.identity
                == .pkcs12(file: directory + "/pki/server.pfx", password: "gatehouse-test")
        )
    }

    @Test func aMissingPasswordFileIsNamedWithItsKey() throws {
        let text = try self.problem(self.listener("{ pkcs12: pki/server.pfx, passwordFile: pki/none }"))
        #expect(text.contains("listeners[0].tls.passwordFile"), "\(text)")
        #expect(text.contains("pki/none"), "\(text)")
    }

    @Test func passwordAndPasswordFileExcludeEachOther() throws {
        let text = try self.problem(self.listener("{ pkcs12: pki/server.pfx, password: x, passwordFile: pki/ca.crt }"))
        #expect(text.contains("listeners[0].tls: give password or passwordFile, not both"), "\(text)")
    }

    @Test(arguments: ["password: x", "passwordFile: pki/ca.crt"])
    func aPasswordForAPEMKeyIsAnError(entry: String) throws {
        let text = try self.problem(
            self.listener("{ certificate: pki/server.crt, privateKey: pki/server.key, \(entry) }")
        )
        let key = entry.prefix { $0 != ":" }
        #expect(text.contains("listeners[0].tls.\(key): goes with pkcs12"), "\(text)")
    }

    @Test func anEncryptedPEMKeyIsAnErrorNamingTheFileAndTheKey() throws {
        var keyFile = ""
        let text = try self.problem(self.listener("{ certificate: pki/server.crt, privateKey: pki/encrypted.key }")) {
            directory in
            keyFile = directory + "/pki/encrypted.key"
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [
                "openssl", "pkey", "-in", directory + "/pki/server.key", "-aes256", "-passout", "pass:pw",
                "-out", keyFile,
            ]
            try process.run()
            process.waitUntilExit()
            try #require(process.terminationStatus == 0)
        }
        #expect(text.contains("listeners[0].tls.privateKey: \(keyFile): the private key is encrypted"), "\(text)")
    }
}
