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

    /// Connects, completes the TLS handshake and installs the protocol handlers.
    ///
    /// - Throws: ``ClientError`` (`connectFailed`, `timeout`, TLS failures explained in a sentence).
    static func connect(
        to origin: Origin,
        context: TLSContext,
        configuration: ClientConfiguration,
        group: any EventLoopGroup
    ) async throws -> ClientConnection {
        let state = ClientConnectionState()
        let eventLoop = group.next()
        let ready = eventLoop.makePromise(of: ClientConnectionFacts.self)
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(TimeAmount(configuration.timeout))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers(
                        TLSHandler(context: context, role: .client, handshakeTimeout: configuration.timeout),
                        ClientConnectionSetupHandler(
                            preference: configuration.httpVersion,
                            verifiedHost: configuration.verifyServer ? origin.host : nil,
                            requestTimeout: configuration.timeout,
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
            throw ClientError.connectFailure(error, timeout: configuration.timeout)
        }
        do {
            let facts = try await ready.futureResult.get()
            return ClientConnection(channel: channel, facts: facts, state: state, origin: origin)
        } catch {
            channel.close(promise: nil)
            throw (error as? ClientError) ?? state.failure ?? .connectionClosed(detail: "\(error)")
        }
    }

    /// Sends one request and waits for its whole response.
    /// - Throws: ``ClientError``; when the connection ended, the error that ended it.
    func execute(_ head: HTTPRequest, body: ByteBuffer?) async throws -> ClientResponse {
        let promise = self.channel.eventLoop.makePromise(of: ClientResponse.self)
        let state = self.state
        self.channel.writeAndFlush(ClientRequest(head: head, body: body, promise: promise)).whenFailure { error in
            promise.fail(state.failure ?? .connectionClosed(detail: "\(error)"))
        }
        do {
            return try await promise.futureResult.get()
        } catch let error as ClientError where error.code == .connectionClosed {
            throw self.state.failure ?? error
        } catch let error as ClientError {
            throw error
        } catch {
            throw self.state.failure ?? .connectionClosed(detail: "\(error)")
        }
    }

    /// Closes the connection (HTTP/2: GOAWAY first; TLS: close_notify).
    func close() async {
        try? await self.channel.close()
    }
}
