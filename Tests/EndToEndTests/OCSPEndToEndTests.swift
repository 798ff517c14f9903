import Foundation
import GatehouseCertificates
import GatehouseClient
import GatehouseConfiguration
import HTTPTypes
import TestSupport
import Testing

/// Policies with `ocsp` against a real `openssl ocsp` responder that each test starts on a free port and stops by
/// its PID.
@Suite("OCSP against a real responder")
struct OCSPEndToEndTests {
    /// A configuration serving `/api/hello` behind a policy trusting the OCSP PKI's root, with `ocsp`.
    private func configuration(_ pki: OCSPTestPKI, ocsp: String) -> String {
        """
        listeners:
          - { host: 127.0.0.1, port: 8443, tls: { certificate: pki/server.crt, privateKey: pki/server.key } }
        policies:
          partners:
            trustedCAs: [\(pki.rootFile)]
            exposeFailureReason: true
            ocsp: \(ocsp)
        routes:
          - { path: /api/hello, function: hello, policy: partners }
        """
    }

    /// Runs `body` with a fresh PKI, its responder (signed by `signer`) and a server whose policy has `ocsp`
    /// (`RESPONDER` replaced by the responder's URL); stops both.
    private func withResponder(
        signer: OCSPTestPKI.Signer = .delegated,
        responderArguments: [String] = [],
        startsResponder: Bool = true,
        ocsp: String = "{ mode: hardFail, timeout: 2s }",
        logger: CapturedLog? = nil,
        _ body: (GatehouseTestServer, OCSPTestPKI, OCSPResponderProcess?) async throws -> Void
    ) async throws {
        let pki = try OCSPTestPKI(port: try OCSPTestPKI.freePort())
        defer { pki.remove() }
        let responder =
            startsResponder
            ? try await OCSPResponderProcess.start(
                arguments: pki.responderArguments(signer: signer, responderArguments),
                port: pki.port
            ) : nil
        defer { responder?.stop() }
        try await GatehouseTestServer.withServer(
            configuration: self.configuration(
                pki,
                ocsp: ocsp.replacingOccurrences(of: "RESPONDER", with: pki.responderURL)
            ),
            logger: logger?.logger ?? GatehouseTestServer.silentLogger
        ) { server in
            try await body(server, pki, responder)
        }
    }

    private func hello(_ server: GatehouseTestServer, as identity: TestIdentity) async throws -> ClientResponse {
        try await server.client(.identity(identity), httpVersion: .http1_1).get("/api/hello?name=ocsp")
    }

    /// The status `/api/hello` answers `identity`; 0 when the request failed.
    private func status(_ server: GatehouseTestServer, as identity: TestIdentity) async -> Int {
        do {
            return try await self.hello(server, as: identity).status.code
        } catch {
            Issue.record("request failed: \(error)")
            return 0
        }
    }

    @Test func goodIsAllowedAndRevokedIsRefusedWithReasonRevoked() async throws {
        try await self.withResponder { server, pki, responder in
            let good = try await self.hello(server, as: pki.good)
            #expect(good.status.code == 200, "\(good.bodyText)")
            #expect(good.bodyText == "Hello, ocsp.")
            let revoked = try await self.hello(server, as: pki.revoked)
            #expect(revoked.status.code == 403)
            #expect(revoked.bodyText.contains("revoked: the OCSP responder says revoked"), "\(revoked.bodyText)")
            #expect(responder?.requestCount == 2)
        }
    }

    @Test func unknownToTheResponderIsRefusedUnderHardFail() async throws {
        try await self.withResponder { server, pki, _ in
            let unknown = try await self.hello(server, as: pki.unlisted)
            #expect(unknown.status.code == 403)
            #expect(unknown.bodyText.contains("revocation_unknown"), "\(unknown.bodyText)")
        }
    }

    @Test func secondConnectionIsAnsweredFromTheCache() async throws {
        try await self.withResponder { server, pki, responder in
            #expect(await self.status(server, as: pki.good) == 200)
            #expect(await self.status(server, as: pki.revoked) == 403)
            #expect(responder?.requestCount == 2)
            // New clients, new connections: their decisions come from the policy's status cache.
            for _ in 0..<3 {
                #expect(await self.status(server, as: pki.good) == 200)
                #expect(await self.status(server, as: pki.revoked) == 403)
            }
            #expect(responder?.requestCount == 2)
            // Even with the responder gone.
            responder?.stop()
            #expect(await self.status(server, as: pki.good) == 200)
        }
    }

    @Test func concurrentFirstRequestsShareOneResponderRequest() async throws {
        // The responder exits after one request: a second request from the server would find nobody (and refuse).
        try await self.withResponder(responderArguments: ["-nrequest", "1"]) { server, pki, responder in
            let clients = try (0..<8).map { _ in try server.client(.identity(pki.good), httpVersion: .http2) }
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for client in clients { group.addTask { try await client.get("/api/hello").status.code } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses == Array(repeating: 200, count: 8))
            #expect(responder?.requestCount == 1)
        }
    }

    @Test func responderDownRefusesUnderHardFail() async throws {
        try await self.withResponder(startsResponder: false) { server, pki, _ in
            let result = try await self.hello(server, as: pki.good)
            #expect(result.status.code == 403)
            #expect(result.bodyText.contains("revocation_unknown"), "\(result.bodyText)")
            #expect(result.bodyText.contains("unreachable"), "\(result.bodyText)")
        }
    }

    @Test func responderDownAllowsUnderSoftFailWithOneWarning() async throws {
        let log = CapturedLog()
        try await self.withResponder(
            startsResponder: false,
            ocsp: "{ mode: softFail, timeout: 2s }",
            logger: log
        ) { server, pki, _ in
            for _ in 0..<3 {
                let result = try await self.hello(server, as: pki.good)
                #expect(result.status.code == 200, "\(result.bodyText)")
            }
            // Another certificate, another failure: still within the minute, so no second warning.
            #expect(await self.status(server, as: pki.withoutAIA) == 200)
            let warnings = log.lines(containing: "allowed without an OCSP status")
            #expect(warnings.count == 1, "\(log.lines)")
            #expect(warnings.first?.contains("unreachable") == true, "\(warnings)")
        }
    }

    @Test(arguments: [OCSPTestPKI.Signer.unauthorized, .stranger])
    func responseSignedWithoutAuthorityIsUnverifiable(signer: OCSPTestPKI.Signer) async throws {
        try await self.withResponder(signer: signer) { server, pki, responder in
            // The index says revoked, but an unauthorized signer's word counts for nothing: unknown, not revoked.
            let result = try await self.hello(server, as: pki.revoked)
            #expect(result.status.code == 403)
            #expect(result.bodyText.contains("revocation_unknown"), "\(result.bodyText)")
            #expect(result.bodyText.contains("unverified"), "\(result.bodyText)")
            #expect(responder?.requestCount == 1)
        }
    }

    @Test func configuredResponderOverridesTheCertificate() async throws {
        try await self.withResponder { server, pki, _ in
            // No AIA and no responder configured: nobody to ask.
            let result = try await self.hello(server, as: pki.withoutAIA)
            #expect(result.status.code == 403)
            #expect(result.bodyText.contains("noResponder"), "\(result.bodyText)")
        }
        try await self.withResponder(ocsp: "{ responder: \"RESPONDER\" }") { server, pki, responder in
            #expect(await self.status(server, as: pki.withoutAIA) == 200)
            #expect(responder?.requestCount == 1)
        }
    }

    @Test func silentResponderTimesOut() async throws {
        let silent = try SilentListener()
        defer { silent.close() }
        try await self.withResponder(
            startsResponder: false,
            ocsp: "{ responder: \"http://127.0.0.1:\(silent.port)/\", timeout: 300ms }"
        ) { server, pki, _ in
            let started = ContinuousClock.now
            let result = try await self.hello(server, as: pki.good)
            #expect(result.status.code == 403)
            #expect(result.bodyText.contains("timedOut"), "\(result.bodyText)")
            // Far above the 300 ms timeout: the bound only shows the request did not wait for the client's own timeout
            // (the whole parallel suite can delay it by seconds on two cores).
            #expect(ContinuousClock.now - started < .seconds(30))
        }
    }

    @Test(arguments: [
        ("big", "more than 65536 bytes"), ("error", "answered HTTP 500"), ("garbage", "badResponse"),
    ])
    func misbehavingResponderIsRevocationUnknown(behaviour: String, detail: String) async throws {
        let responder = try await OCSPResponderProcess.start(command: [
            "python3", "-c", Self.misbehavingResponder, behaviour,
        ])
        defer { responder.stop() }
        let port = try #require(responder.port)
        try await self.withResponder(
            startsResponder: false,
            ocsp: "{ responder: \"http://127.0.0.1:\(port)\" }"
        ) { server, pki, _ in
            let result = try await self.hello(server, as: pki.good)
            #expect(result.status.code == 403)
            #expect(result.bodyText.contains("revocation_unknown"), "\(result.bodyText)")
            #expect(result.bodyText.contains(detail), "\(result.bodyText)")
        }
    }

    /// An HTTP server that answers every POST with 100 KiB (`big`), a 500 (`error`) or a body that is not an OCSP
    /// response (`garbage`).
    static let misbehavingResponder = """
        import http.server, sys
        behaviour = sys.argv[1]
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                body = {"big": b"0" * 102400, "error": b"no", "garbage": b"<html>"}[behaviour]
                self.send_response(500 if behaviour == "error" else 200)
                self.send_header("Content-Type", "application/ocsp-response")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def log_message(self, *arguments):
                pass
        server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        print("ACCEPT 127.0.0.1:%d" % server.server_address[1], flush=True)
        server.serve_forever()
        """

    @Test func reloadWithTheSameTrustMaterialKeepsTheCache() async throws {
        try await self.withResponder { server, pki, responder in
            #expect(await self.status(server, as: pki.good) == 200)
            #expect(responder?.requestCount == 1)
            let service = try #require(server.service)
            #expect(await service.reload(reason: "test"))
            #expect(await self.status(server, as: pki.good) == 200)
            #expect(responder?.requestCount == 1)
        }
    }
}

/// A TCP listener on 127.0.0.1 that never accepts: connections complete in the kernel's backlog and nothing is
/// ever answered.
private struct SilentListener {
    let socket: Int32
    let port: Int

    init() throws {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw POSIXError(.EMFILE) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sockaddr in
                Glibc.bind(socket, sockaddr, length) == 0 && listen(socket, 16) == 0
                    && getsockname(socket, sockaddr, &length) == 0
            }
        }
        guard bound else {
            Glibc.close(socket)
            throw POSIXError(.EADDRINUSE)
        }
        self.socket = socket
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() { Glibc.close(self.socket) }
}
