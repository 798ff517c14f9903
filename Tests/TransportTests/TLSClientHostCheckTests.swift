import TestSupport
import Testing

@testable import GatehouseTransport

@Suite("The TLS client never connects without checking the host it was given")
struct TLSClientHostCheckTests {
    func connection(to host: String) throws -> TLSConnection {
        let pki = try TestPKI.shared()
        let context = try TLSContext(client: TLSClientConfiguration(trustedCAFiles: [pki.rootCAFile], serverName: host))
        return try TLSConnection(context: context)
    }

    @Test(arguments: ["127.0.0.1", "::1", "localhost"])
    func hostsOpenSSLCanCheckAreAccepted(host: String) throws {
        _ = try self.connection(to: host)
    }

    /// Shorthand or malformed addresses that `X509_VERIFY_PARAM_set1_ip_asc` refuses: before, the refusal was
    /// ignored and the connection went on with no host check at all.
    @Test(arguments: ["127.1", "1.2.3.4.5", "::1::2"])
    func addressesOpenSSLCannotCheckAreAnError(host: String) throws {
        #expect(throws: TLSError.self) { _ = try self.connection(to: host) }
    }
}
