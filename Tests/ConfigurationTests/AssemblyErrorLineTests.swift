import Foundation
import GatehouseConfiguration
import Logging
import Testing

/// Errors found after a file is read — loading its certificates, keys and CA files, building its routes — carry
/// the file's line of the key they name, as the reader's own errors do.
@Suite struct AssemblyErrorLineTests {
    func error(_ yaml: String) throws -> ConfigurationError? {
        let file = try writeConfiguration(yaml)
        let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        return #expect(throws: ConfigurationError.self) {
            _ = try GatehouseService(configurationFile: file, logger: logger)
        }
    }

    @Test func aPolicyWhoseNameHasDotsIsFoundToo() throws {
        let error = try self.error(
            """
            listeners:
              - port: 8443
                tls: { certificate: pki/server.crt, privateKey: pki/server.key }
            policies:
              partners.eu:
                validateTrust: true
                trustedCAs:
                  - pki/ca.crt
                  - pki/server.key
            routes:
              - { path: /healthz, function: health, policy: partners.eu }
            """
        )
        #expect(error?.keyPath == "policies.partners.eu.trustedCAs[1]", "\(error?.description ?? "")")
        #expect(error?.line == 9, "\(error?.description ?? "")")
    }

    @Test func aListenerKeyThatDoesNotMatchItsCertificateHasItsLine() throws {
        let error = try self.error(
            """
            listeners:
              - port: 8443
                tls:
                  certificate: pki/clients/client.crt
                  privateKey: pki/server.key
            routes:
              - { path: /healthz, function: health }
            """
        )
        #expect(error?.keyPath == "listeners[0].tls.privateKey", "\(error?.description ?? "")")
        #expect(error?.line == 5, "\(error?.description ?? "")")
        #expect(error?.problem.contains("the private key does not match the certificate in") == true)
        #expect(error?.description.contains("TLSError") == false)
    }

    @Test func aRouteThatCannotBeBuiltHasItsLine() throws {
        let error = try self.error(
            """
            listeners:
              - port: 8443
                tls: { certificate: pki/server.crt, privateKey: pki/server.key }
            routes:
              - { path: /healthz, function: health }
              - path: /files/*/more
                function: hello
            """
        )
        #expect(error?.keyPath == "routes[1].path", "\(error?.description ?? "")")
        #expect(error?.line == 6, "\(error?.description ?? "")")
    }
}
