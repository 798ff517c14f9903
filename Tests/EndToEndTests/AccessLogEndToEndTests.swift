import Foundation
import GatehouseCertificates
import GatehouseClient
import GatehouseConfiguration
import GatehouseTransport
import HTTPTypes
import TestSupport
import Testing

/// The access log over real sockets and real TLS: one parsed JSON line per request, with every field, for each
/// outcome a policy can have, on both HTTP versions; the text format; a reload that changes it.
@Suite("Access log")
struct AccessLogEndToEndTests {
    static func yaml(format: String = "json", path: String = "access.log") -> String {
        """
        listeners:
          - name: public
            host: 127.0.0.1
            port: 0
            tls: { certificate: pki/server.crt, privateKey: pki/server.key }
            limits: { handshakeTimeout: 60s, maxBodySize: 1KiB }
        policies:
          partners:
            trustedCAs: [pki/ca.crt]
          watching:
            trustedCAs: [pki/ca.crt]
            mode: report
        routes:
          - { path: /api/hello, function: hello, policy: partners }
          - { path: /api/watched, function: hello, policy: watching }
          - { path: /healthz, function: health }
        accessLog: { path: \(path), format: \(format) }
        """
    }

    static let versions: [ClientConfiguration.HTTPVersionPreference] = [.http1_1, .http2]

    @Test(arguments: Self.versions)
    func everyOutcomeIsOneJSONLineWithEveryField(_ version: ClientConfiguration.HTTPVersionPreference) async throws {
        try await GatehouseTestServer.withServer(configuration: Self.yaml()) { server in
            let pki = server.pki
            #expect(try await server.client(httpVersion: version).get("/api/hello?name=x").status.code == 200)
            #expect(try await server.client(.untrusted, httpVersion: version).get("/api/hello").status.code == 403)
            #expect(try await server.client(.none, httpVersion: version).get("/api/hello").status.code == 403)
            #expect(try await server.client(.untrusted, httpVersion: version).get("/api/watched").status.code == 200)
            #expect(try await server.client(httpVersion: version).get("/nowhere/42").status.code == 404)
            let large = String(repeating: "x", count: 4096)
            #expect(try await server.client(httpVersion: version).post("/api/hello", body: large).status.code == 413)

            let file = try #require(server.directory) + "/access.log"
            let lines = try await AccessLogFile(path: file).waitForLines(6)
            let protocolName = version == .http2 ? "h2" : "http/1.1"
            for line in lines {
                #expect(line["listener"] as? String == "public")
                #expect(line["protocol"] as? String == protocolName)
                #expect((line["remote"] as? String)?.hasPrefix("127.0.0.1:") == true, "\(line)")
                #expect(line["tls_version"] as? String == "TLSv1.3")
                #expect(line["tls_resumed"] as? Bool == false)
                #expect(line["duration_ms"] is Double || line["duration_ms"] is Int)
                let time = try #require(line["time"] as? String)
                #expect(time.count == 24 && time.hasSuffix("Z"), "RFC 3339 with milliseconds: \(time)")
                #expect(AccessLogFile.timeFormat.date(from: time) != nil, "\(time)")
            }

            let allowed = try #require(
                lines.first { $0["status"] as? Int == 200 && $0["path"] as? String == "/api/hello" }
            )
            #expect(allowed["method"] as? String == "GET")
            #expect(allowed["bytes"] as? Int == "Hello, x.".utf8.count)
            #expect(allowed["client_subject"] as? String == pki.client.certificate.subject)
            #expect(allowed["client_sha256"] as? String == pki.client.certificate.sha256.hexString)
            #expect(allowed["policy"] as? String == "partners")
            #expect(allowed["decision"] as? String == "allowed")
            #expect(allowed["reason"] as? String == "ok")

            let refused = lines.filter { $0["status"] as? Int == 403 }
            #expect(refused.count == 2)
            let untrusted = try #require(refused.first { $0["reason"] as? String == "untrusted" })
            #expect(untrusted["decision"] as? String == "refused")
            #expect(untrusted["policy"] as? String == "partners")
            #expect(untrusted["client_subject"] as? String == pki.strangerClient.certificate.subject)
            #expect(untrusted["client_sha256"] as? String == pki.strangerClient.certificate.sha256.hexString)
            let anonymous = try #require(refused.first { $0["reason"] as? String == "no_certificate" })
            #expect(anonymous["decision"] as? String == "refused")
            #expect(anonymous["client_subject"] is NSNull)
            #expect(anonymous["client_sha256"] is NSNull)

            let reported = try #require(lines.first { $0["path"] as? String == "/api/watched" })
            #expect(reported["status"] as? Int == 200)
            #expect(reported["decision"] as? String == "reported")
            #expect(reported["policy"] as? String == "watching")
            #expect(reported["reason"] as? String == "untrusted")

            let notFound = try #require(lines.first { $0["status"] as? Int == 404 })
            #expect(notFound["path"] as? String == "/nowhere/42")
            #expect(notFound["decision"] as? String == "none")
            #expect(notFound["policy"] is NSNull)
            #expect(notFound["reason"] is NSNull)

            let tooLarge = try #require(lines.first { $0["status"] as? Int == 413 }, "Transport's own answer is logged")
            #expect(tooLarge["method"] as? String == "POST")
            #expect(tooLarge["path"] as? String == "/api/hello")
            #expect(tooLarge["decision"] as? String == "none")
            #expect((tooLarge["bytes"] as? Int ?? 0) > 0)
        }
    }

    @Test func theTextFormatIsOneReadableLineWithTheSameFields() async throws {
        try await GatehouseTestServer.withServer(configuration: Self.yaml(format: "text")) { server in
            #expect(try await server.client(httpVersion: .http2).get("/api/hello?name=x").status.code == 200)
            let file = try #require(server.directory) + "/access.log"
            let line = try #require(try await AccessLogFile(path: file).waitForTextLines(1).first)
            let subject = server.pki.client.certificate.subject
            for field in [
                "remote=127.0.0.1:", " listener=\"public\"", " protocol=h2", " method=\"GET\"", " path=\"/api/hello\"",
                " status=200", " bytes=9", " duration_ms=", " tls_version=TLSv1.3", " tls_resumed=false",
                " client_subject=\"\(subject)\"", " client_sha256=\(server.pki.client.certificate.sha256.hexString)",
                " policy=\"partners\"", " decision=allowed", " reason=\"ok\"",
            ] {
                #expect(line.contains(field), "\(field) in \(line)")
            }
        }
    }

    @Test func aReloadAppliesAChangedAccessLog() async throws {
        try await GatehouseTestServer.withServer(configuration: Self.yaml()) { server in
            let directory = try #require(server.directory)
            let service = try #require(server.service)
            #expect(try await server.client().get("/healthz").status.code == 200)
            _ = try await AccessLogFile(path: directory + "/access.log").waitForLines(1)

            try Self.yaml(format: "text", path: "other.log")
                .write(toFile: directory + "/gatehouse.yaml", atomically: true, encoding: .utf8)
            #expect(await service.reload(reason: "test"))
            #expect(try await server.client().get("/healthz").status.code == 200)
            let line = try #require(try await AccessLogFile(path: directory + "/other.log").waitForTextLines(1).first)
            #expect(line.contains(" path=\"/healthz\""), "\(line)")
            #expect(try AccessLogFile(path: directory + "/access.log").jsonLines().count == 1)
        }
    }
}

/// An access log file read by a test: its lines, waited for (the log is written at least once a second).
struct AccessLogFile {
    let path: String

    /// Reads RFC 3339 times with fractional seconds.
    static var timeFormat: ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter
    }

    func textLines() -> [String] {
        guard let data = FileManager.default.contents(atPath: self.path) else { return [] }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// Every line parsed as a JSON object; throws when one is not.
    func jsonLines() throws -> [[String: Any]] {
        try self.textLines().map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
            return try #require(object as? [String: Any], "\(line)")
        }
    }

    /// The first `count` lines once there are that many (within 10 s).
    func waitForTextLines(_ count: Int, sourceLocation: SourceLocation = #_sourceLocation) async throws -> [String] {
        _ = await eventually(seconds: 10) { self.textLines().count >= count }
        let lines = self.textLines()
        try #require(lines.count >= count, "\(lines)", sourceLocation: sourceLocation)
        return lines
    }

    /// The lines parsed as JSON once there are `count` of them (within 10 s).
    func waitForLines(_ count: Int, sourceLocation: SourceLocation = #_sourceLocation) async throws -> [[String: Any]] {
        _ = try await self.waitForTextLines(count, sourceLocation: sourceLocation)
        return try self.jsonLines()
    }
}
