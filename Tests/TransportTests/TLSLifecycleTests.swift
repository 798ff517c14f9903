import COpenSSL
import GatehouseCertificates
import NIOCore
import NIOEmbedded
import TestSupport
import Testing

@testable import GatehouseTransport

@Suite struct TLSLifecycleTests {
    @Test func handshakeTimeoutClosesTheChannel() throws {
        let loop = EmbeddedEventLoop()
        let channel = EmbeddedChannel(loop: loop)
        let recorder = TLSRecorder()
        try channel.pipeline.syncOperations.addHandlers([
            TLSHandler(context: TLSFixtures.server(), role: .server, handshakeTimeout: .seconds(5)), recorder,
        ])
        channel.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 443), promise: nil)
        loop.advanceTime(by: .seconds(4))
        #expect(channel.isActive)
        loop.advanceTime(by: .seconds(2))
        #expect(!channel.isActive)
        #expect(recorder.tlsErrors.map(\.code) == [.handshakeTimeout])
        _ = try? channel.finish(acceptAlreadyClosed: true)
    }

    /// A failed connection lingers for a moment before it closes; what the peer sends meanwhile is dropped, not
    /// buffered, however much it is.
    @Test func aFailedConnectionDropsWhatThePeerStillSends() throws {
        let channel = EmbeddedChannel()
        let handler = TLSHandler(context: try TLSFixtures.server(), role: .server, handshakeTimeout: .seconds(5))
        try channel.pipeline.syncOperations.addHandlers([handler, TLSRecorder()])
        channel.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 443), promise: nil)
        // not TLS: the handshake fails
        try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: h\r\n\r\n"))
        for _ in 0..<64 { try channel.writeInbound(ByteBuffer(repeating: 0x16, count: 16 * 1024)) }
        // What stays is the unread rest of the first, failing read (a few bytes), not the 1 MiB that followed.
        #expect((handler.connection?.pendingInputBytes ?? 0) < 1024)
        _ = try? channel.finish(acceptAlreadyClosed: true)
    }

    @Test(arguments: [TLSVersion.v1_2, .v1_3])
    func closeSendsCloseNotify(version: TLSVersion) throws {
        let pair = try TLSChannelPair(
            server: TLSFixtures.server(version: version),
            client: TLSFixtures.client(version: version)
        )
        defer { pair.finish() }
        try pair.shuttle()
        let closed = pair.server.close()
        let alert = try #require(try pair.server.readOutbound(as: ByteBuffer.self))
        // An alert record; TLS 1.3 hides the type inside an application-data record.
        #expect(alert.getInteger(at: alert.readerIndex, as: UInt8.self) == (version == .v1_2 ? 21 : 23))
        #expect(!pair.server.isActive)
        try pair.client.writeInbound(alert)
        #expect(!pair.client.isActive)  // the peer's close_notify closes the channel
        #expect(pair.clientRecorder.errors.isEmpty)
        closed.whenFailure { Issue.record("close failed: \($0)") }
    }

    @Test func writesBeforeTheHandshakeAreSentAfterIt() throws {
        let pair = try TLSChannelPair(server: TLSFixtures.server(), client: TLSFixtures.client())
        defer { pair.finish() }
        let written = pair.client.writeAndFlush(ByteBuffer(string: "early"))
        try pair.shuttle()
        try written.wait()
        #expect(String(buffer: pair.serverRecorder.received) == "early")
    }

    @Test func tls11ClientIsRefused() throws {
        let client = try TLSConnection(context: TLSFixtures.client(presenting: nil))
        client.withUnsafeSSL { ssl in
            SSL_set_security_level(ssl, 0)
            _ = gatehouse_SSL_set_min_proto_version(ssl, TLS1_1_VERSION)
            _ = gatehouse_SSL_set_max_proto_version(ssl, TLS1_1_VERSION)
        }
        let server = try TLSConnection(context: TLSFixtures.server())
        let (clientStatus, serverStatus) = pumpHandshake(client: client, server: server)
        #expect(isFailure(serverStatus))
        #expect(isFailure(clientStatus))
    }

    @Test func renegotiationIsRefusedOnTLS12() throws {
        let client = try TLSConnection(context: TLSFixtures.client(version: .v1_2))
        let server = try TLSConnection(context: TLSFixtures.server(version: .v1_2))
        let (clientStatus, serverStatus) = pumpHandshake(client: client, server: server)
        #expect(clientStatus == .done && serverStatus == .done)

        client.withUnsafeSSL { ssl in
            SSL_clear_options(ssl, gatehouse_SSL_OP_NO_RENEGOTIATION())
            #expect(SSL_renegotiate(ssl) == 1)
        }
        _ = client.handshake()
        server.feed(try #require(client.drainOutput()))
        var plaintext = ByteBuffer()
        _ = server.readPlaintext(into: &plaintext)  // answers with a no_renegotiation alert
        client.feed(try #require(server.drainOutput()))
        #expect(isFailure(client.readPlaintext(into: &plaintext)))
        #expect(server.withUnsafeSSL { SSL_renegotiate_pending($0) } == 0)
    }

    @Test(arguments: [TLSVersion.v1_2, .v1_3])
    func readPlaintextTakesEveryRecordFedAndWaitsForTheRestOfASplitOne(version: TLSVersion) throws {
        let client = try TLSConnection(context: TLSFixtures.client(version: version))
        let server = try TLSConnection(context: TLSFixtures.server(version: version))
        let (clientStatus, serverStatus) = pumpHandshake(client: client, server: server)
        #expect(clientStatus == .done && serverStatus == .done)
        var plaintext = ByteBuffer()
        if let bytes = client.drainOutput() {  // what is left of the client's flight (TLS 1.3 Finished)
            server.feed(bytes)
            _ = server.readPlaintext(into: &plaintext)
        }

        // Two records in one read: both are decrypted before the connection waits for more.
        #expect(client.writePlaintext(ByteBuffer(string: "one,")) == .done)
        #expect(client.writePlaintext(ByteBuffer(string: "two,")) == .done)
        server.feed(try #require(client.drainOutput()))
        #expect(server.readPlaintext(into: &plaintext) == .wantIO)
        #expect(String(buffer: plaintext) == "one,two,")

        // A record split over two reads: nothing until its last byte, then all of it.
        #expect(client.writePlaintext(ByteBuffer(string: "three")) == .done)
        var record = try #require(client.drainOutput())
        let head = record.readSlice(length: record.readableBytes - 3)!
        server.feed(head)
        #expect(server.readPlaintext(into: &plaintext) == .wantIO)
        #expect(String(buffer: plaintext) == "one,two,")
        server.feed(record)
        #expect(server.readPlaintext(into: &plaintext) == .wantIO)
        #expect(String(buffer: plaintext) == "one,two,three")

        // Data and close_notify in one read: the data, then the close.
        #expect(client.writePlaintext(ByteBuffer(string: "!")) == .done)
        client.shutdown()
        server.feed(try #require(client.drainOutput()))
        #expect(server.readPlaintext(into: &plaintext) == .closed)
        #expect(String(buffer: plaintext) == "one,two,three!")
    }

    @Test func configurationErrorsNameTheFile() throws {
        let pki = try TestPKI.shared()
        let mismatch = #expect(throws: TLSError.self) {
            try TLSContext(
                server: TLSConfiguration(
                    identity: .pem(certificateChainFile: pki.server.chainFile, privateKeyFile: pki.client.keyFile)
                )
            )
        }
        #expect(mismatch?.code == .invalidConfiguration)
        #expect(mismatch?.detail.contains(pki.server.chainFile) == true)
        let missing = #expect(throws: TLSError.self) {
            try TLSContext(
                server: TLSConfiguration(
                    identity: .pem(certificateChainFile: "/nonexistent/server.crt", privateKeyFile: pki.server.keyFile)
                )
            )
        }
        #expect(missing?.detail.contains("/nonexistent/server.crt") == true)
        #expect(throws: TLSError.self) {
            try TLSContext(
                server: TLSConfiguration(
                    identity: .pem(certificateChainFile: pki.server.chainFile, privateKeyFile: pki.server.keyFile),
                    clientCertificateMode: .require
                )
            )
        }
        let pkcs12 = try TLSContext(
            server: TLSConfiguration(
                identity: .pkcs12(file: pki.clientPFXFile, password: pki.clientPFXPassword)
            )
        )
        #expect(pkcs12.role == .server)
    }
}

private func isFailure(_ status: TLSConnection.Status) -> Bool {
    if case .failed = status { return true }
    return false
}

/// Runs both handshakes over their BIOs until both finish, one fails, or nothing moves.
private func pumpHandshake(
    client: TLSConnection,
    server: TLSConnection
) -> (client: TLSConnection.Status, server: TLSConnection.Status) {
    var clientStatus = client.handshake()
    var serverStatus = TLSConnection.Status.wantIO
    for _ in 0..<16 {
        if let bytes = client.drainOutput() { server.feed(bytes) }
        serverStatus = server.handshake()
        if let bytes = server.drainOutput() { client.feed(bytes) }
        clientStatus = client.handshake()
        if isFailure(clientStatus) || isFailure(serverStatus) { break }
        if clientStatus == .done && serverStatus == .done { break }
    }
    return (clientStatus, serverStatus)
}
