import Foundation
import GatehouseRouting
import GatehouseTransport
import HTTPTypes
import NIOCore
import Synchronization
import TestSupport
import Testing

/// The observation point sees the requests nothing in the chain answers: a malformed one (400), and one whose
/// client left before its response (499).
@Suite("Request observation")
struct RequestObservationEndToEndTests {
    /// Keeps every record it is given.
    final class Recorder: RequestObserver {
        private let records = Mutex<[RequestRecord]>([])

        func observe(_ record: RequestRecord) { self.records.withLock { $0.append(record) } }

        var all: [RequestRecord] { self.records.withLock { $0 } }
    }

    /// Serves `/slow` (see ``Slow``) and `/healthz` with `recorder` observing; runs `body` with the port.
    func withObservedServer(_ recorder: Recorder, _ body: (Int) async throws -> Void) async throws {
        let pki = try TestPKI.shared()
        var routes = RouterBuilder()
        try routes.add("/slow", function: Slow())
        let tls = TLSConfiguration(
            identity: .pem(certificateChainFile: pki.server.chainFile, privateKeyFile: pki.server.keyFile),
            clientCertificateMode: .request
        )
        let server = Server(
            configuration: ServerConfiguration(
                listeners: [ListenerConfiguration(host: "127.0.0.1", port: 0, tls: tls, limits: .patient)]
            ),
            responder: routes.build(),
            logger: TestServer.quietLogger,
            observer: recorder
        )
        let port = try await server.start().first?.port ?? 0
        do {
            try await body(port)
        } catch {
            await server.shutdown()
            throw error
        }
        await server.shutdown()
    }

    @Test func aMalformedRequestIsRecordedAs400WithoutMethodOrPath() async throws {
        let recorder = Recorder()
        try await self.withObservedServer(recorder) { port in
            let client = try RawTLSClient(port: port)
            _ = client.send("GET /slow HTTP/1.1\r\nHost: localhost\r\nNo colon here\r\n\r\n")
            #expect(client.receiveText(timeout: 10, containing: "\r\n\r\n").text.hasPrefix("HTTP/1.1 400"))
            #expect(await eventually(seconds: 10) { recorder.all.count == 1 })
            let record = try #require(recorder.all.first)
            #expect(record.status == 400)
            #expect(record.method == nil && record.path == nil)
            #expect(record.route == "" && record.decision == .none)
            #expect(record.listener.hasPrefix("127.0.0.1:"))
            #expect(record.protocolName == "http/1.1")
        }
    }

    @Test func aRequestWhoseClientLeftIsRecordedAs499() async throws {
        let recorder = Recorder()
        try await self.withObservedServer(recorder) { port in
            do {
                let client = try RawTLSClient(port: port)
                _ = client.send("GET /slow?ms=3000&tag=observed HTTP/1.1\r\nHost: localhost\r\n\r\n")
                #expect(await eventually(seconds: 10) { SlowRequests.started.withLock { $0.contains("observed") } })
            }  // the client closes its connection here, before the answer
            #expect(await eventually(seconds: 10) { recorder.all.count == 1 })
            let record = try #require(recorder.all.first)
            #expect(record.status == 499)
            #expect(record.method == .get && record.path == "/slow")
            #expect(record.route == "/slow")
            #expect(record.bodyBytes == 0)
        }
    }
}
