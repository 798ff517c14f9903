import Foundation
import GatehouseCertificateAuthority
import GatehouseCertificates
import TestSupport
import Testing

/// Stateless session tickets between real `gatehouse serve` processes, with `openssl s_client` as the client that
/// keeps its session in a file (`-sess_out`, `-sess_in`): replicas with one key file resume each other's sessions
/// with the same identity, others make a full handshake, and a resumed connection is decided again by the policy.
@Suite(.serialized) struct SessionTicketEndToEndTests {
    /// `gatehouse serve` whose listener (`require` mode) seals tickets with `pki/ticket.key`; `/api/whoami` behind
    /// policy `partners` (`policy`: its YAML flow mapping).
    final class TicketServer {
        let folder: ConfigurationFolder
        let port: Int
        let process: ChildProcess

        init(
            ticketKey: [UInt8],
            policy: String = "{ trustedCAs: [pki/ca.crt] }",
            prepare: (String) throws -> Void = { _ in }
        )
            throws
        {
            self.folder = try ConfigurationFolder()
            self.port = try freeLoopbackPort()
            try Data(ticketKey).write(to: URL(fileURLWithPath: self.folder.path + "/pki/ticket.key"))
            try prepare(self.folder.path)
            let file = try self.folder.write(
                """
                listeners:
                  - host: 127.0.0.1
                    port: \(self.port)
                    tls: { certificate: pki/server.crt, privateKey: pki/server.key, clientCertificate: require, trustedCAs: [pki/ca.crt], sessionTicketKeyFile: pki/ticket.key }
                policies:
                  partners: \(policy)
                routes:
                  - { path: /api/whoami, function: whoami, policy: partners }
                """
            )
            self.process = try ChildProcess(
                try builtExecutable("gatehouse"),
                ["serve", "--config", file, "--log-level", "warning", "--event-loops", "1"],
                in: self.folder.path
            )
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline, self.process.process.isRunning, (try? RawTLSClient(port: self.port)) == nil {
                usleep(50_000)
            }
        }

        deinit { _ = self.process.stop(signal: SIGTERM) }
    }

    /// What one `openssl s_client` connection saw.
    struct Exchange {
        let isResumed: Bool
        let status: Int?
        let body: String
    }

    static func randomKey() -> [UInt8] { (0..<80).map { _ in UInt8.random(in: 0...255) } }

    /// `GET /api/whoami` over TLS 1.3 with the test client's certificate, offering the session in `sessionIn` and
    /// saving the new one to `sessionOut`.
    static func whoami(port: Int, sessionIn: String?, sessionOut: String) throws -> Exchange {
        let pki = try TestPKI.shared()
        var arguments = [
            "s_client", "-connect", "127.0.0.1:\(port)", "-tls1_3", "-servername", "localhost", "-CAfile",
            pki.rootCAFile, "-cert", pki.client.certificateFile, "-cert_chain", pki.intermediateCAFile, "-key",
            pki.client.keyFile, "-sess_out", sessionOut, "-ign_eof",
        ]
        if let sessionIn { arguments += ["-sess_in", sessionIn] }
        let request = "GET /api/whoami HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        let output = try runProcessBlocking("/usr/bin/openssl", arguments, input: Data(request.utf8)).stdout
        // s_client prints its own lines around the answer (and the session ticket after it): find the head, then
        // take Content-Length bytes of body.
        let bytes = Array(output.utf8)
        let start = output.range(of: "HTTP/1.1 ").map {
            output.utf8.distance(from: output.startIndex, to: $0.lowerBound)
        }
        guard let start, let headEnd = output.range(of: "\r\n\r\n") else {
            return Exchange(isResumed: output.contains("Reused, TLSv1.3"), status: nil, body: "")
        }
        let head = String(decoding: bytes[start...], as: UTF8.self)
        let bodyStart = output.utf8.distance(from: output.startIndex, to: headEnd.upperBound)
        let length =
            head.components(separatedBy: "\r\n")
            .first { $0.lowercased().hasPrefix("content-length:") }
            .flatMap { Int($0.dropFirst(15).trimmingCharacters(in: .whitespaces)) } ?? 0
        return Exchange(
            isResumed: output.contains("Reused, TLSv1.3"),
            status: Int(head.dropFirst(9).prefix(3)),
            body: String(decoding: bytes[bodyStart..<min(bytes.count, bodyStart + length)], as: UTF8.self)
        )
    }

    static func sessionFile() -> String { NSTemporaryDirectory() + "session-\(UUID().uuidString).pem" }

    @Test func aSessionFromOneReplicaResumesOnAnotherWithTheSameKeyFile() async throws {
        try await onOwnThread {
            let key = Self.randomKey()
            let first = try TicketServer(ticketKey: key)
            let second = try TicketServer(ticketKey: key)
            let stranger = try TicketServer(ticketKey: Self.randomKey())
            let session = Self.sessionFile()
            let full = try Self.whoami(port: first.port, sessionIn: nil, sessionOut: session)
            #expect(!full.isResumed && full.status == 200)
            #expect(full.body.contains("\"verified\":true") || full.body.contains("\"verified\" : true"))

            // The other replica never saw this client: the ticket restores its identity, the same one.
            let resumed = try Self.whoami(port: second.port, sessionIn: session, sessionOut: Self.sessionFile())
            #expect(resumed.isResumed && resumed.status == 200)
            #expect(resumed.body == full.body)

            // Another key cannot open the ticket: a full handshake, and the same answer.
            let other = try Self.whoami(port: stranger.port, sessionIn: session, sessionOut: Self.sessionFile())
            #expect(!other.isResumed && other.status == 200)
            #expect(other.body == full.body)
        }
    }

    @Test func aResumedSessionPassesThePolicysIdentityChecksOnEitherReplica() async throws {
        try await onOwnThread {
            let pki = try TestPKI.shared()
            func identities(_ certificate: Certificate) -> String {
                let thumbprint = certificate.sha256.map { String(format: "%02x", $0) }.joined()
                return "{ trustedCAs: [pki/ca.crt], identities: [{ thumbprint: \(thumbprint), commonName: "
                    + "\"\(certificate.commonName ?? "")\" }] }"
            }
            let key = Self.randomKey()
            let first = try TicketServer(ticketKey: key, policy: identities(pki.client.certificate))
            let second = try TicketServer(ticketKey: key, policy: identities(pki.client.certificate))
            let session = Self.sessionFile()
            let full = try Self.whoami(port: first.port, sessionIn: nil, sessionOut: session)
            #expect(!full.isResumed && full.status == 200)
            #expect(full.body.contains(pki.client.certificate.commonName ?? "?"))

            // The verifying replica resumes from its cache, the other from the leaf the ticket carries: the same
            // identity passes the same checks.
            for server in [first, second] {
                let resumed = try Self.whoami(port: server.port, sessionIn: session, sessionOut: Self.sessionFile())
                #expect(resumed.isResumed && resumed.status == 200)
                #expect(resumed.body == full.body)
            }
            // A policy that names another client refuses the resumed connection too.
            let strict = try TicketServer(ticketKey: key, policy: identities(pki.rootClient.certificate))
            let refused = try Self.whoami(port: strict.port, sessionIn: session, sessionOut: Self.sessionFile())
            #expect(refused.isResumed && refused.status == 403)
        }
    }

    @Test func aRevocationAppliesToResumedSessions() async throws {
        try await onOwnThread {
            let pki = try TestPKI.shared()
            let (from, until) = (Date().addingTimeInterval(-3600), Date().addingTimeInterval(30 * 86_400))
            let clean = try pki.intermediateAuthority.issueCRL(revoking: [], lastUpdate: from, nextUpdate: until)
            let server = try TicketServer(
                ticketKey: Self.randomKey(),
                policy: "{ trustedCAs: [pki/ca.crt], crls: [pki/intermediate.crl], validateRevocation: true }"
            ) { folder in
                try clean.pemString.write(toFile: folder + "/pki/intermediate.crl", atomically: true, encoding: .utf8)
            }
            let session = Self.sessionFile()
            #expect(try Self.whoami(port: server.port, sessionIn: nil, sessionOut: session).status == 200)
            let before = try Self.whoami(port: server.port, sessionIn: session, sessionOut: Self.sessionFile())
            #expect(before.isResumed && before.status == 200)

            // The CA revokes the client; the server reloads the CRL by itself (it watches the file).
            let revoking = try pki.intermediateAuthority.issueCRL(
                revoking: [pki.client.certificate],
                lastUpdate: from.addingTimeInterval(60),
                nextUpdate: until
            )
            try revoking.pemString.write(
                toFile: server.folder.path + "/pki/intermediate.crl",
                atomically: true,
                encoding: .utf8
            )
            let after = try Self.resumeUntilRefused(port: server.port, session: session)
            #expect(after.allSatisfy { $0.isResumed }, "every attempt resumed its session")
            #expect(after.last?.status == 403)
        }
    }

    @Test func anAllowListRemovalAppliesToResumedSessions() async throws {
        try await onOwnThread {
            let pki = try TestPKI.shared()
            let server = try TicketServer(
                ticketKey: Self.randomKey(),
                policy: "{ trustedCAs: [pki/ca.crt], certificates: [pki/clients] }"
            )
            let session = Self.sessionFile()
            #expect(try Self.whoami(port: server.port, sessionIn: nil, sessionOut: session).status == 200)
            let before = try Self.whoami(port: server.port, sessionIn: session, sessionOut: Self.sessionFile())
            #expect(before.isResumed && before.status == 200)

            // The client leaves the allow-list (another stays on it); the folder is watched.
            let clients = server.folder.path + "/pki/clients/"
            try FileManager.default.copyItem(atPath: pki.rootClient.certificateFile, toPath: clients + "other.crt")
            try FileManager.default.removeItem(atPath: clients + "client.crt")
            let after = try Self.resumeUntilRefused(port: server.port, session: session)
            #expect(after.allSatisfy { $0.isResumed }, "every attempt resumed its session")
            #expect(after.last?.status == 403)
        }
    }

    /// Resumes `session` until the answer is 403 (the reload took effect) or 30 s pass; every exchange.
    static func resumeUntilRefused(port: Int, session: String) throws -> [Exchange] {
        var exchanges: [Exchange] = []
        let deadline = Date().addingTimeInterval(30)
        repeat {
            exchanges.append(try Self.whoami(port: port, sessionIn: session, sessionOut: Self.sessionFile()))
            if exchanges.last?.status == 403 { break }
            usleep(200_000)
        } while Date() < deadline
        return exchanges
    }
}
