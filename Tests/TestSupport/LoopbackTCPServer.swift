public import NIOCore
import NIOPosix

/// A plaintext TCP server on an ephemeral 127.0.0.1 port, for tests whose peer misbehaves below HTTP: each accepted
/// connection gets the handler `makeHandler` returns (none: the connection is accepted and left alone).
public final class LoopbackTCPServer: Sendable {
    /// The port it listens on.
    public let port: Int
    private let channel: any Channel

    private init(port: Int, channel: any Channel) {
        self.port = port
        self.channel = channel
    }

    /// Listens; with `autoRead` off, an accepted connection is never read (its peer's writes fill the socket buffers).
    public static func start(
        autoRead: Bool = true,
        _ makeHandler: @escaping @Sendable () -> (any ChannelHandler)? = { nil }
    ) async throws -> LoopbackTCPServer {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.autoRead, value: autoRead)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let handler = makeHandler() { try channel.pipeline.syncOperations.addHandler(handler) }
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return LoopbackTCPServer(port: channel.localAddress?.port ?? 0, channel: channel)
    }

    /// Stops listening (connections already accepted stay open until their peer closes them).
    public func stop() async {
        try? await self.channel.close()
    }
}
