import Foundation
import GatehouseCertificateAuthority
import GatehouseCertificates
import GatehouseConfiguration
import GatehouseTransport
import HTTPTypes
import Logging
import NIOCore
import Prometheus
import TestSupport
import Testing

/// The access log's file: reopened on SIGUSR1 after a rename (logrotate), bounded when the disk does not keep up,
/// valid JSON for any path and subject.
@Suite("Access log file")
struct AccessLogFileTests {
    /// One `GET /healthz` over a new connection to `server`; true when it was answered 200.
    private func request(_ server: ServerProcess) throws -> Bool {
        let client = try server.connect()
        _ = client.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        return client.receiveText(timeout: 10, containing: "\r\n\r\nok").text.hasPrefix("HTTP/1.1 200")
    }

    @Test func sigusr1ReopensTheFileAfterARename() async throws {
        let server = try ServerProcess(extraYAML: "accessLog: { path: access.log }")
        defer { _ = server.stop() }
        let current = server.folder.path + "/access.log"
        let rotated = server.folder.path + "/access.log.1"
        #expect(try self.request(server))
        #expect(try await AccessLogFile(path: current).waitForLines(1).count == 1)

        try FileManager.default.moveItem(atPath: current, toPath: rotated)
        #expect(try self.request(server))
        // Until told, the server writes on into the file it has open, renamed or not.
        #expect(try await AccessLogFile(path: rotated).waitForLines(2).count == 2)
        #expect(!FileManager.default.fileExists(atPath: current))

        #expect(kill(server.pid, SIGUSR1) == 0)
        #expect(await eventually(seconds: 10) { FileManager.default.fileExists(atPath: current) })
        #expect(try self.request(server))
        #expect(try await AccessLogFile(path: current).waitForLines(1).count == 1)
        #expect(try AccessLogFile(path: rotated).jsonLines().count == 2)
        #expect(server.stop() == 0)
    }

    @Test func aWriterThatCannotKeepUpDropsAndCountsInsteadOfGrowing() async throws {
        // A FIFO that nobody reads: the writer thread blocks once the pipe holds 64 KiB, like a disk that hangs.
        let directory = try temporaryDirectory()
        let fifo = directory + "/stuck.log"
        #expect(mkfifo(fifo, 0o600) == 0)
        let reader = open(fifo, O_RDONLY | O_NONBLOCK)  // held open, never read
        #expect(reader >= 0)
        let limit = 256 * 1024
        let registry = PrometheusCollectorRegistry()
        let log = try AccessLog(
            AccessLogConfiguration(path: fifo, format: .json, maxBufferedBytes: limit),
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() },
            metricsFactory: PrometheusMetricsFactory(registry: registry)
        )
        let record = try Self.record(path: "/api/hello", subject: nil)
        for _ in 0..<20_000 { log.observe(record) }  // about 8 MiB of lines
        #expect(log.bufferedBytes <= limit, "the buffer stays within maxBufferedBytes")
        #expect(log.droppedLines > 10_000, "what does not fit is dropped and counted")
        // Let the writer go: read everything (on a thread of its own: the reads block) so that close() can finish.
        Thread.detachNewThread {
            var scratch = [UInt8](repeating: 0, count: 65536)
            let blocking = open(fifo, O_RDONLY)
            while read(blocking, &scratch, scratch.count) > 0 {}
            close(blocking)
        }
        await log.close()
        close(reader)
        let dropped = PrometheusText(registry.emitToString()).value(AccessLog.droppedLinesTotal)
        #expect(dropped == Double(log.droppedLines), "every dropped line is counted in the metric")
    }

    @Test func hostilePathsAndSubjectsStayValidJSON() async throws {
        let directory = try temporaryDirectory()
        let path = directory + "/access.log"
        let log = try AccessLog(
            AccessLogConfiguration(path: path),
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        )
        let hostilePath = "/a\"b\\c\n{\"status\":200}\u{01}\u{7F}é\u{2028}"
        let record = try Self.record(path: hostilePath, subject: "evil\", \"decision\": \"allowed\\\n\u{7}é")
        log.observe(record)
        await log.close()
        let lines = try AccessLogFile(path: path).jsonLines()
        #expect(lines.count == 1)
        let line = try #require(lines.first)
        #expect(line["path"] as? String == hostilePath)
        #expect(line["client_subject"] as? String == record.connection.clientSubject)
        #expect(line["decision"] as? String == "none")

        let textPath = directory + "/access.txt"
        let text = try AccessLog(
            AccessLogConfiguration(path: textPath, format: .text),
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        )
        text.observe(record)
        await text.close()
        let textLines = AccessLogFile(path: textPath).textLines()
        #expect(textLines.count == 1, "a newline in the path or subject does not start a new line: \(textLines)")
        #expect(textLines.first?.contains(#"path="/a\"b\\c\x0a{\"status\":200}\x01\x7f"#) == true, "\(textLines)")
    }

    /// A record for `path` on a connection whose client presented a certificate with common name `subject`.
    static func record(path: String, subject: String?) throws -> RequestRecord {
        var certificates: [Certificate] = []
        if let subject {
            let pki = try TestPKI.shared()
            let spec = CertificateSpec(subject: [.commonName(subject)], kind: .client)
            certificates = [try pki.intermediateAuthority.issue(spec).certificate]
        }
        let connection = ConnectionInfo(
            id: 1,
            remoteAddress: try SocketAddress(ipAddress: "127.0.0.1", port: 40_000),
            localAddress: nil,
            httpVersion: .http2,
            tls: TLSSessionInfo(
                protocolVersion: "TLSv1.3",
                cipher: "TLS_AES_128_GCM_SHA256",
                alpn: "h2",
                peerCertificates: certificates,
                verifyResult: nil,
                isResumed: false
            )
        )
        return RequestRecord(
            listener: "public",
            connection: connection,
            method: .get,
            path: Substring(path),
            route: "",
            status: 200,
            bodyBytes: 0,
            duration: .microseconds(1500),
            policy: nil,
            decision: .none,
            reason: nil
        )
    }
}
