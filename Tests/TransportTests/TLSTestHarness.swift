import COpenSSL
import GatehouseCertificates
import NIOCore
import NIOEmbedded
import TestSupport
import Testing

@testable import GatehouseTransport

/// Records what reaches the top of a TLS pipeline: handshake events, plaintext, errors.
final class TLSRecorder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    var handshake: TLSSessionInfo?
    var received = ByteBuffer()
    var errors: [any Error] = []

    var tlsErrors: [TLSError] { self.errors.compactMap { $0 as? TLSError } }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let completed = event as? TLSHandshakeCompleted { self.handshake = completed.info }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = self.unwrapInboundIn(data)
        self.received.writeBuffer(&buffer)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.errors.append(error)
    }
}

/// A TLS client and server, each a `TLSHandler` in an `EmbeddedChannel`, with bytes moved between them by hand.
final class TLSChannelPair {
    let server: EmbeddedChannel
    let client: EmbeddedChannel
    let serverRecorder = TLSRecorder()
    let clientRecorder = TLSRecorder()

    /// Connects both sides; `beforeConnect` runs once the sessions exist, before the client's first flight.
    init(
        server serverContext: TLSContext,
        client clientContext: TLSContext,
        beforeConnect: (TLSChannelPair) throws -> Void = { _ in }
    ) throws {
        self.server = EmbeddedChannel()
        self.client = EmbeddedChannel()
        try self.server.pipeline.syncOperations.addHandlers([
            TLSHandler(context: serverContext, role: .server, handshakeTimeout: .seconds(10)), self.serverRecorder,
        ])
        try self.client.pipeline.syncOperations.addHandlers([
            TLSHandler(context: clientContext, role: .client, handshakeTimeout: .seconds(10)), self.clientRecorder,
        ])
        try beforeConnect(self)
        let address = try SocketAddress(ipAddress: "127.0.0.1", port: 443)
        self.server.connect(to: address, promise: nil)
        self.client.connect(to: address, promise: nil)
    }

    /// Moves ciphertext both ways until neither side has anything more to send.
    func shuttle() throws {
        for _ in 0..<64 {
            let toServer = try Self.move(from: self.client, to: self.server)
            let toClient = try Self.move(from: self.server, to: self.client)
            if !toServer && !toClient { return }
        }
        Issue.record("TLS pair did not go quiet")
    }

    private static func move(from source: EmbeddedChannel, to destination: EmbeddedChannel) throws -> Bool {
        var moved = false
        while let bytes = try source.readOutbound(as: ByteBuffer.self) {
            moved = true
            if destination.isActive { _ = try? destination.writeInbound(bytes) }
        }
        return moved
    }

    func send(_ text: String, from channel: EmbeddedChannel) throws {
        try channel.writeAndFlush(ByteBuffer(string: text)).wait()
        try self.shuttle()
    }

    /// The server side's TLS session.
    func serverConnection() throws -> TLSConnection {
        try #require(try self.server.pipeline.syncOperations.handler(type: TLSHandler.self).connection)
    }

    /// The client side's TLS session.
    func clientConnection() throws -> TLSConnection {
        try #require(try self.client.pipeline.syncOperations.handler(type: TLSHandler.self).connection)
    }

    func finish() {
        _ = try? self.server.finish(acceptAlreadyClosed: true)
        _ = try? self.client.finish(acceptAlreadyClosed: true)
    }
}

/// Builds contexts over the shared ``TestPKI``.
enum TLSFixtures {
    static func server(
        mode: ClientCertificateMode = .request,
        version: TLSVersion? = nil,
        trusted: Bool = true,
        alpn: [String] = ["h2", "http/1.1"]
    ) throws -> TLSContext {
        let pki = try TestPKI.shared()
        return try TLSContext(
            server: TLSConfiguration(
                identity: .pem(certificateChainFile: pki.server.chainFile, privateKeyFile: pki.server.keyFile),
                clientCertificateMode: mode,
                trustedCAFiles: trusted ? [pki.rootCAFile] : [],
                applicationProtocols: alpn,
                minimumVersion: version ?? .v1_2,
                maximumVersion: version ?? .v1_3
            )
        )
    }

    static func client(
        presenting client: TestPKI.Client? = .client,
        version: TLSVersion? = nil,
        alpn: [String] = ["h2", "http/1.1"]
    ) throws -> TLSContext {
        let pki = try TestPKI.shared()
        let identity = client.map { pki.identity($0) }.map {
            TLSIdentity.pem(certificateChainFile: $0.chainFile, privateKeyFile: $0.keyFile)
        }
        return try TLSContext(
            client: TLSClientConfiguration(
                identity: identity,
                trustedCAFiles: [pki.rootCAFile],
                applicationProtocols: alpn,
                serverName: "localhost",
                minimumVersion: version ?? .v1_2,
                maximumVersion: version ?? .v1_3
            )
        )
    }
}

extension TLSChannelPair {
    /// A pair whose client offers `session` (a ``clientSession()`` of an earlier pair) to resume.
    convenience init(server: TLSContext, client: TLSContext, offering session: OpaquePointer) throws {
        try self.init(server: server, client: client) { pair in
            _ = try pair.clientConnection().withUnsafeSSL { SSL_set_session($0, session) }
        }
    }

    /// The client's session, with the TLS 1.3 tickets it has read (the caller frees it with `SSL_SESSION_free`).
    func clientSession() throws -> OpaquePointer {
        try #require(try self.clientConnection().withUnsafeSSL { SSL_get1_session($0) })
    }
}
