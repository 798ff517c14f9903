import GatehouseTransport
import HTTPTypes
import NIOCore
import NIOPosix

/// One TLS connection to a server, speaking the HTTP version ALPN chose.
///
/// HTTP/2 connections are shared by concurrent requests; HTTP/1.1 connections carry one request at a time (the pool
/// sees to that).
final class ClientConnection: Sendable {
    /// Where a connection goes: the pool's key.
    struct Origin: Hashable, Sendable, CustomStringConvertible {
        /// The host name or IP address (without brackets).
        var host: String
        var port: Int
        /// `https` (TLS) rather than `http` (plaintext).
        var isSecure = true

        var description: String {
            self.host.contains(":") ? "[\(self.host)]:\(self.port)" : "\(self.host):\(self.port)"
        }
    }

    let channel: any Channel
    let facts: ClientConnectionFacts
    let state: ClientConnectionState
    let origin: Origin

    private init(channel: any Channel, facts: ClientConnectionFacts, state: ClientConnectionState, origin: Origin) {
        self.channel = channel
        self.facts = facts
        self.state = state
        self.origin = origin
    }

    /// The HTTP version the connection speaks.
    var httpVersion: HTTPVersionKind { self.facts.httpVersion }

    /// Whether a new request may be sent on it.
    var isUsable: Bool { self.channel.isActive && self.state.isAcceptingRequests }

    /// Connects, completes the TLS handshake (for `https`) and installs the protocol handlers.
    ///
    /// A plaintext (`http`) connection speaks HTTP/1.1, or HTTP/2 with prior knowledge when only HTTP/2 is asked for.
    /// - Throws: ``ClientError`` (`connectFailed`, `timeout`, TLS failures explained in a sentence).
    static func connect(
        to origin: Origin,
        context: TLSContext?,
        configuration: ClientConfiguration,
        group: any EventLoopGroup
    ) async throws -> ClientConnection {
        let state = ClientConnectionState()
        let eventLoop = group.next()
        let ready = eventLoop.makePromise(of: ClientConnectionFacts.self)
        let connectTimeout = configuration.effectiveConnectTimeout
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(TimeAmount(connectTimeout))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                guard origin.isSecure, let context else { return channel.eventLoop.makeSucceededVoidFuture() }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers(
                        TLSHandler(context: context, role: .client, handshakeTimeout: connectTimeout),
                        ClientConnectionSetupHandler(
                            configuration: configuration,
                            verifiedHost: configuration.verifyServer ? configuration.serverName ?? origin.host : nil,
                            state: state,
                            ready: ready
                        )
                    )
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: origin.host, port: origin.port).get()
        } catch {
            ready.fail(ChannelError.ioOnClosedChannel)
            throw ClientError.connectFailure(error, timeout: connectTimeout)
        }
        if !origin.isSecure {
            Self.installPlaintextHandlers(on: channel, configuration: configuration, state: state, ready: ready)
        }
        do {
            let facts = try await ready.futureResult.get()
            return ClientConnection(channel: channel, facts: facts, state: state, origin: origin)
        } catch {
            channel.close(promise: nil)
            throw (error as? ClientError) ?? state.failure ?? .connectionClosed(detail: "\(error)")
        }
    }

    /// Adds the protocol handler of a plaintext connection once it is connected (HTTP/2 sends its preface at once).
    private static func installPlaintextHandlers(
        on channel: any Channel,
        configuration: ClientConfiguration,
        state: ClientConnectionState,
        ready: EventLoopPromise<ClientConnectionFacts>
    ) {
        let version: HTTPVersionKind = configuration.httpVersion == .http2 ? .http2 : .http1_1
        let facts = ClientConnectionFacts(httpVersion: version, tls: .plaintext, configuration: configuration)
        channel.eventLoop.execute {
            do {
                let pipeline = channel.pipeline.syncOperations
                switch version {
                case .http2: try pipeline.addHandler(HTTP2ClientHandler(facts: facts, state: state))
                case .http1_1: try pipeline.addHandler(HTTP1ClientHandler(facts: facts, state: state))
                }
                ready.succeed(facts)
            } catch {
                ready.fail(ClientError(.protocolError, "could not set up \(version)", detail: "\(error)"))
            }
        }
    }

    /// Sends one request and waits for its whole response.
    /// - Throws: ``ClientError``; when the connection ended, the error that ended it.
    func execute(_ head: HTTPRequest, body: ByteBuffer?) async throws -> ClientResponse {
        let promise = self.channel.eventLoop.makePromise(of: ClientResponse.self)
        let state = self.state
        let request = ClientOutbound.collected(ClientRequest(head: head, body: body, promise: promise))
        self.channel.writeAndFlush(request).whenFailure { error in
            promise.fail(state.failure ?? .connectionClosed(detail: "\(error)"))
        }
        do {
            return try await promise.futureResult.get()
        } catch {
            throw self.explain(error)
        }
    }

    /// Sends the head of a streamed request; its body parts follow with ``writeBodyPart(_:of:)``.
    func startStreamedRequest(_ head: HTTPRequest, hasBody: Bool) -> ClientExchange {
        let exchange = ClientExchange(channel: self.channel)
        let state = self.state
        let request = ClientOutbound.streamed(StreamedClientRequest(head: head, hasBody: hasBody, exchange: exchange))
        self.channel.writeAndFlush(request).whenFailure { error in
            exchange.fail(state.failure ?? .connectionClosed(detail: "\(error)"))
        }
        return exchange
    }

    /// Sends the next part of a streamed request's body; returns once the connection has taken it (backpressure).
    func writeBodyPart(_ bytes: ByteBuffer, of exchange: ClientExchange) async throws {
        do {
            try await self.channel.writeAndFlush(ClientOutbound.bodyPart(exchange.id, bytes)).get()
        } catch {
            throw self.explain(error)
        }
    }

    /// Ends a streamed request's body.
    func endBody(of exchange: ClientExchange) async throws {
        do {
            try await self.channel.writeAndFlush(ClientOutbound.bodyEnd(exchange.id)).get()
        } catch {
            throw self.explain(error)
        }
    }

    /// Abandons a streamed request: HTTP/1.1 closes the connection, HTTP/2 resets the stream.
    func cancel(_ exchange: ClientExchange) {
        self.channel.writeAndFlush(ClientOutbound.cancel(exchange.id), promise: nil)
    }

    /// The error that ended the connection, when `error` only says that it ended.
    func explain(_ error: any Error) -> any Error {
        switch error {
        case let error as ClientError where error.code == .connectionClosed: self.state.failure ?? error
        case let error as ClientError: error
        default: self.state.failure ?? ClientError.connectionClosed(detail: "\(error)")
        }
    }

    /// Closes the connection (HTTP/2: GOAWAY first; TLS: close_notify).
    func close() async {
        try? await self.channel.close()
    }
}

extension TLSSessionInfo {
    /// What a plaintext (`http://`) connection reports in place of a TLS session: no version, cipher or peer.
    static let plaintext = TLSSessionInfo(
        protocolVersion: "",
        cipher: "",
        alpn: nil,
        peerCertificates: [],
        verifyResult: nil,
        isResumed: false
    )
}
