import Foundation
import GatehouseCertificateAuthority
import GatehouseCertificates
import GatehouseTransport
import HTTPTypes
import NIOPosix
import TestSupport
import Testing

@testable import GatehouseClient

/// A server identity issued by the test PKI's intermediate with exactly `sans` (and a common name that is no host
/// name, so nothing can match through the subject).
private func serverIdentity(_ sans: [SubjectAlternativeName]) throws -> TLSIdentity {
    let pki = try TestPKI.shared()
    let issued = try pki.intermediateAuthority.issue(
        CertificateSpec(subject: [.commonName("host-check-server")], kind: .server, sans: sans)
    )
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("host-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    try Data([issued.certificate, pki.intermediateCA].pemString.utf8).write(
        to: URL(fileURLWithPath: directory + "/chain.crt")
    )
    try Data(issued.key.pemBytes()).write(to: URL(fileURLWithPath: directory + "/server.key"))
    return .pem(certificateChainFile: directory + "/chain.crt", privateKeyFile: directory + "/server.key")
}

/// One GET of `url` with a client that trusts the test root (and verifies the server unless `verifyServer` is
/// false); the status code, or the client error.
private func get(_ url: String, verifyServer: Bool = true) async throws -> Result<Int, ClientError> {
    let pki = try TestPKI.shared()
    let client = try HTTPClient(
        configuration: ClientConfiguration(
            trustedCAFiles: [pki.rootCAFile],
            httpVersion: .http1_1,
            verifyServer: verifyServer
        )
    )
    let result: Result<Int, ClientError>
    do {
        result = .success(try await client.execute(.get, url).status.code)
    } catch let error as ClientError {
        result = .failure(error)
    }
    await client.shutdown()
    return result
}

/// The client checks the URL's host against the server certificate on every connection: DNS names against DNS SANs,
/// IP addresses against IP SANs, and nothing else passes.
@Suite("The client verifies the URL's host", .serialized)
struct HostVerificationTests {
    @Test(arguments: ["127.0.0.1", "localhost"])
    func theTestServerMatchesByAddressAndName(host: String) async throws {
        try await withClientTestServer { server in
            let status = try await get(server.url(host: host, "/healthz"))
            #expect(status == .success(404))
        }
    }

    @Test func theTestServerMatchesByIPv6Address() async throws {
        try await withClientTestServer(host: "::1") { server in
            let status = try await get(server.url(host: "::1", "/healthz"))
            #expect(status == .success(404))
        }
    }

    @Test func anIPAddressNeedsAnIPSAN() async throws {
        // DNS:127.0.0.1 spells the address as a name: an IP literal matches IP SANs only.
        let identity = try serverIdentity([.dnsName("localhost"), .dnsName("127.0.0.1")])
        try await withClientTestServer(identity: identity) { server in
            let refused = try await get(server.url(host: "127.0.0.1", "/healthz"))
            guard case .failure(let error) = refused else {
                Issue.record("accepted: \(refused)")
                return
            }
            #expect(error.code == .serverCertificateUntrusted)
            #expect(error.message.contains("127.0.0.1"), "\(error.message) / \(error.detail)")
            let byName = try await get(server.url(host: "localhost", "/healthz"))
            #expect(byName == .success(404))
            // Not verifying the server at all stays possible, and only when asked for.
            let unverified = try await get(server.url(host: "127.0.0.1", "/healthz"), verifyServer: false)
            #expect(unverified == .success(404))
        }
    }

    @Test func anIPv6AddressNeedsItsIPSAN() async throws {
        let identity = try serverIdentity([.dnsName("localhost"), .ipAddress("127.0.0.1")])
        try await withClientTestServer(identity: identity, host: "::1") { server in
            let refused = try await get(server.url(host: "::1", "/healthz"))
            guard case .failure(let error) = refused else {
                Issue.record("accepted: \(refused)")
                return
            }
            #expect(error.code == .serverCertificateUntrusted)
            #expect(error.message.contains("::1"), "\(error.message)")
        }
    }

    @Test func aNameNeedsADNSSAN() async throws {
        let identity = try serverIdentity([.ipAddress("127.0.0.1")])
        try await withClientTestServer(identity: identity) { server in
            let refused = try await get(server.url(host: "localhost", "/healthz"))
            guard case .failure(let error) = refused else {
                Issue.record("accepted: \(refused)")
                return
            }
            #expect(error.code == .serverCertificateUntrusted)
            #expect(error.message.contains("localhost"), "\(error.message)")
            let status = try await get(server.url(host: "127.0.0.1", "/healthz"))
            #expect(status == .success(404))
        }
    }

    /// Shorthand IPv4 forms the resolver would connect to (127.1, a bare number, hex) are not a way around the check.
    @Test(arguments: ["127.1", "2130706433", "0x7f.0.0.1", "127.000.000.001"])
    func nonCanonicalAddressesAreRefused(host: String) async throws {
        try await withClientTestServer { server in
            let refused = try await get(server.url(host: host, "/healthz"))
            guard case .failure(let error) = refused else {
                Issue.record("accepted: \(refused)")
                return
            }
            #expect(error.code == .invalidRequest, "\(error)")
            #expect(error.message.contains(host), "\(error.message)")
        }
    }

    /// The check after the handshake holds on its own: a context that asks OpenSSL for no host check at all (no
    /// server name) still refuses a certificate without the host.
    @Test func theHostIsCheckedEvenWhenOpenSSLDidNotCheckIt() async throws {
        let pki = try TestPKI.shared()
        let identity = try serverIdentity([.dnsName("localhost")])
        try await withClientTestServer(identity: identity) { server in
            let configuration = ClientConfiguration(trustedCAFiles: [pki.rootCAFile], httpVersion: .http1_1)
            let context = try TLSContext(client: configuration.tlsConfiguration(serverName: nil))
            let error = await #expect(throws: ClientError.self) {
                try await ClientConnection.connect(
                    to: ClientConnection.Origin(host: "127.0.0.1", port: server.port),
                    context: context,
                    configuration: configuration,
                    group: MultiThreadedEventLoopGroup.singleton
                )
            }
            #expect(error?.code == .serverCertificateUntrusted)
            #expect(
                error?.message == "the server's certificate is not for 127.0.0.1: it has no IP SAN 127.0.0.1 "
                    + "(its names: DNS:localhost)"
            )
        }
    }
}
