package import GatehouseCertificates
public import Logging
public import Metrics
import NIOConcurrencyHelpers
public import NIOCore
public import NIOPosix
public import ServiceLifecycle
public import Tracing

/// Listens, accepts mutual-TLS connections and answers their requests with one responder, or one per listener.
///
/// An actor on the event loop that accepts connections; it owns the listeners and the set of live
/// connections. As a `Service` it serves until a graceful shutdown, then stops accepting, asks every
/// connection to finish (HTTP/2 GOAWAY, HTTP/1.1 `connection: close`), waits up to
/// ``ServerConfiguration/shutdownGracePeriod`` and closes what is left.
///
/// ```swift
/// let server = Server(configuration: configuration, responder: router, logger: logger)
/// let group = ServiceGroup(services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
/// try await group.run()
/// ```
public actor Server: Service {
    /// The accept loop's executor: the actor runs on that event loop, so work scheduled there can reach its state
    /// synchronously (`assumeIsolated`) instead of through a task.
    public nonisolated let unownedExecutor: UnownedSerialExecutor
    private let configuration: ServerConfiguration
    /// The one listener of a server that speaks plain HTTP/1.1 (``init(plaintext:responder:logger:shutdownGracePeriod:eventLoopGroup:)``);
    /// such a server has no TLS listeners.
    private let plaintextListener: PlaintextListenerConfiguration?
    private let metricsFactory: any MetricsFactory
    /// One per listener, in listener order, each with its fast path decided once (``Responder/withFastPath``).
    private let responders: [any ImmediateResponder]
    private let logger: Logger
    private let group: any EventLoopGroup
    private let acceptLoop: any EventLoop
    private var state = State.idle
    private var listeners: [any Channel] = []
    /// Each listener's TLS context, swapped whole by ``updateTLS(_:)``; read once per accepted connection.
    private var tlsContexts: [NIOLockedValueBox<TLSContext>] = []
    private var connections: [ObjectIdentifier: any Channel] = [:]
    /// The one verified-chain cache of every TLS context this server builds.
    private let verifiedChains: VerifiedChainCache
    /// Where connections report their requests; read once per accepted connection, swapped by
    /// ``updateObserver(_:)``.
    private let observer: NIOLockedValueBox<(any RequestObserver)?>
    /// The request spans' tracer; `nil` when none is given or bootstrapped (decided once, here).
    private let tracer: RequestTracer?

    private enum State { case idle, starting, listening, draining, stopped }

    /// Creates a server; nothing is bound until ``start()`` or ``run()``.
    /// - Parameters:
    ///   - responder: the chain every request goes through, e.g. a ``RequestLogger`` in front of a router.
    ///   - eventLoopGroup: the loops for connections; one per core by default.
    ///   - metricsFactory: where each listener's connection and handshake instruments are created (README's
    ///     "Operations" lists them); the bootstrapped `MetricsSystem` by default.
    ///   - observer: told of every request once it is answered (an access log, request metrics); `nil` for none.
    ///   - tracer: starts a server span per request; by default the bootstrapped `InstrumentationSystem.tracer`,
    ///     and none when that is the no-op tracer.
    public init(
        configuration: ServerConfiguration,
        responder: any Responder,
        logger: Logger,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        metricsFactory: any MetricsFactory = MetricsSystem.factory,
        observer: (any RequestObserver)? = nil,
        tracer: (any Tracer)? = nil
    ) {
        let responders = Array(repeating: responder, count: configuration.listeners.count)
        self.init(
            configuration: configuration,
            responders: responders,
            logger: logger,
            eventLoopGroup: eventLoopGroup,
            metricsFactory: metricsFactory,
            observer: observer,
            tracer: tracer
        )
    }

    /// Creates a server whose listeners answer with responders of their own (e.g. routes served on some
    /// listeners only); nothing is bound until ``start()`` or ``run()``.
    /// - Parameters:
    ///   - responders: one per listener of `configuration`, in listener order.
    ///   - metricsFactory: where each listener's connection and handshake instruments are created.
    ///   - observer: told of every request once it is answered (an access log, request metrics); `nil` for none.
    ///   - tracer: starts a server span per request; by default the bootstrapped `InstrumentationSystem.tracer`,
    ///     and none when that is the no-op tracer.
    public init(
        configuration: ServerConfiguration,
        responders: [any Responder],
        logger: Logger,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        metricsFactory: any MetricsFactory = MetricsSystem.factory,
        observer: (any RequestObserver)? = nil,
        tracer: (any Tracer)? = nil
    ) {
        self.init(
            configuration: configuration,
            responders: responders,
            logger: logger,
            eventLoopGroup: eventLoopGroup,
            metricsFactory: metricsFactory,
            observer: observer,
            tracer: tracer,
            verifiedChains: VerifiedChainCache()
        )
    }

    /// Creates a server whose TLS contexts verify client chains through `verifiedChains`, shared with the
    /// policies of the service that assembles it.
    package init(
        configuration: ServerConfiguration,
        responders: [any Responder],
        logger: Logger,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        metricsFactory: any MetricsFactory = MetricsSystem.factory,
        observer: (any RequestObserver)? = nil,
        tracer: (any Tracer)? = nil,
        verifiedChains: VerifiedChainCache
    ) {
        self.verifiedChains = verifiedChains
        precondition(responders.count == configuration.listeners.count, "one responder per listener")
        self.configuration = configuration
        self.plaintextListener = nil
        self.metricsFactory = metricsFactory
        self.responders = responders.map(\.withFastPath)
        self.logger = logger
        self.group = eventLoopGroup
        self.acceptLoop = eventLoopGroup.next()
        self.unownedExecutor = self.acceptLoop.executor.asUnownedSerialExecutor()
        self.observer = NIOLockedValueBox(observer)
        self.tracer = RequestTracer(tracer)
    }

    /// Replaces the request observer for connections accepted from now on (open connections keep theirs).
    public nonisolated func updateObserver(_ observer: (any RequestObserver)?) {
        self.observer.withLockedValue { $0 = observer }
    }

    /// Creates a server with one listener that speaks plain HTTP/1.1 over TCP, without TLS: for an administration
    /// endpoint on loopback (metrics, health checks). It is bounded like any listener (``ConnectionLimits``) and
    /// drains the same way; it records no connection metrics of its own.
    public init(
        plaintext listener: PlaintextListenerConfiguration,
        responder: any Responder,
        logger: Logger,
        shutdownGracePeriod: Duration = .seconds(10),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.configuration = ServerConfiguration(listeners: [], shutdownGracePeriod: shutdownGracePeriod)
        self.plaintextListener = listener
        self.metricsFactory = NOOPMetricsHandler.instance
        self.verifiedChains = VerifiedChainCache()
        self.observer = NIOLockedValueBox(nil)
        self.tracer = nil
        self.responders = [responder.withFastPath]
        self.logger = logger
        self.group = eventLoopGroup
        self.acceptLoop = eventLoopGroup.next()
        self.unownedExecutor = self.acceptLoop.executor.asUnownedSerialExecutor()
    }

    /// Binds every listener and starts accepting; returns the bound addresses in listener order.
    ///
    /// Builds each listener's TLS context first (reads certificates and keys), so a bad file fails here.
    /// - Throws: a ``TLSError`` naming the file, or a ``ListenerError`` naming the address that cannot be bound.
    @discardableResult
    public func start() async throws -> [SocketAddress] {
        guard case .idle = self.state else { return self.listeners.compactMap(\.localAddress) }
        self.state = .starting
        do {
            // Build every context before binding anything: a bad certificate fails the start, not a connection.
            self.tlsContexts = try self.configuration.listeners.map {
                NIOLockedValueBox(
                    try TLSContext(server: $0.tls, limits: $0.limits, verifiedChains: self.verifiedChains)
                )
            }
            for (index, listener) in self.configuration.listeners.enumerated() {
                let label = ListenerMetrics.label(name: listener.name, host: listener.host, port: listener.port)
                let channel: any Channel
                do {
                    channel = try await self.bind(
                        name: listener.name,
                        host: listener.host,
                        port: listener.port,
                        limits: listener.limits,
                        tls: self.tlsContexts[index],
                        metrics: ListenerMetrics(listener: label, factory: self.metricsFactory),
                        responder: self.responders[index]
                    )
                } catch {
                    throw ListenerError(binding: listener.host, port: listener.port, index: index, error: error)
                }
                self.listeners.append(channel)
                self.logger.info("listening", metadata: ["address": "\(channel.localAddress.map { "\($0)" } ?? "?")"])
            }
            if let listener = self.plaintextListener {
                let channel: any Channel
                do {
                    channel = try await self.bind(
                        host: listener.host,
                        port: listener.port,
                        limits: listener.limits,
                        tls: nil,
                        metrics: nil,
                        responder: self.responders[0]
                    )
                } catch {
                    throw ListenerError(binding: listener.host, port: listener.port, index: 0, error: error)
                }
                self.listeners.append(channel)
                self.logger.info(
                    "listening (plain HTTP/1.1)",
                    metadata: ["address": "\(channel.localAddress.map { "\($0)" } ?? "?")"]
                )
            }
        } catch {
            for listener in self.listeners { try? await listener.close() }
            self.listeners = []
            self.state = .stopped
            throw error
        }
        self.state = .listening
        return self.listeners.compactMap(\.localAddress)
    }

    /// Serves until a graceful shutdown is requested (or the task is cancelled), then drains and stops.
    public func run() async throws {
        try await self.start()
        try? await gracefulShutdown()
        await self.shutdown()
    }

    /// Stops accepting, lets in-flight requests finish within the grace period, then closes everything.
    public func shutdown() async {
        guard case .listening = self.state else { return }
        self.state = .draining
        for listener in self.listeners { try? await listener.close() }
        self.listeners = []
        let live = Array(self.connections.values)
        self.logger.info("draining", metadata: ["connections": "\(live.count)"])
        for channel in live {
            channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
        let allClosed = EventLoopFuture.andAllComplete(live.map(\.closeFuture), on: self.acceptLoop)
        let deadline = self.acceptLoop.scheduleTask(in: TimeAmount(self.configuration.shutdownGracePeriod)) {
            for channel in live { channel.close(promise: nil) }
        }
        try? await allClosed.get()
        deadline.cancel()
        self.state = .stopped
        self.logger.info("stopped")
    }

    /// The number of open connections (including ones still in their TLS handshake).
    public var connectionCount: Int { self.connections.count }

    /// Replaces the listeners' TLS settings (certificate, key, trusted CAs, protocols) for connections accepted
    /// from now on.
    ///
    /// All-or-nothing: every new context is built (reading its files) before any is swapped in. Addresses,
    /// ports and limits cannot change without a restart.
    /// - Parameter configurations: one per listener, in listener order; `nil` keeps that listener's context.
    /// - Throws: ``TLSError`` naming the file that failed; the old contexts stay in use.
    public func updateTLS(_ configurations: [TLSConfiguration?]) throws {
        let contexts = try zip(configurations, self.configuration.listeners).map { configuration, listener in
            try configuration.map {
                try TLSContext(server: $0, limits: listener.limits, verifiedChains: self.verifiedChains)
            }
        }
        self.updateTLS(contexts: contexts)
    }

    /// Swaps in TLS contexts already built (see ``updateTLS(_:)``).
    /// - Parameter contexts: one per listener, in listener order; `nil` keeps that listener's context.
    public func updateTLS(contexts: [TLSContext?]) {
        precondition(contexts.count == self.configuration.listeners.count, "one TLS context per listener")
        for (box, context) in zip(self.tlsContexts, contexts) {
            if let context { box.withLockedValue { $0 = context } }
        }
    }

    /// A connection's receive buffers once its handshake is done (``ConnectionSetupHandler`` sets them): 512 bytes
    /// first, growing as reads fill them (``ReceiveBufferSizes``).
    static let receiveBuffers = ReceiveBufferSizes()

    /// Receive buffers during the TLS handshake: 512 bytes, fixed, so that a handshake's large flights (a padded
    /// ClientHello, the client's certificate chain) are read in a few more reads instead of growing the buffer the
    /// channel keeps for the rest of the connection.
    private static let handshakeReceiveBuffers = FixedSizeRecvByteBufferAllocator(capacity: 512)

    /// Binds one listener: TLS when `tls` is given (its handshakes counted in `metrics`), plain HTTP/1.1 otherwise.
    private func bind(
        name: String? = nil,
        host: String,
        port: Int,
        limits: ConnectionLimits,
        tls: NIOLockedValueBox<TLSContext>?,
        metrics: ListenerMetrics?,
        responder: any ImmediateResponder
    ) async throws -> any Channel {
        let logger = self.logger
        let counter = ConnectionCounter(
            limit: limits.maxConnections,
            logger: logger,
            metrics: metrics ?? ListenerMetrics(listener: "", factory: NOOPMetricsHandler.instance)
        )
        let observer = self.observer
        let tracer = self.tracer
        let receiveBuffers: any RecvByteBufferAllocator =
            if tls == nil { Self.receiveBuffers } else { Self.handshakeReceiveBuffers }
        return try await ServerBootstrap(group: self.acceptLoop, childGroup: self.group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.recvAllocator, value: receiveBuffers)
            .childChannelInitializer { [weak self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try counter.admit()  // beyond maxConnections: closed at once, before any TLS work
                    // Tracked (and counted until it closes) before anything else can fail.
                    if let self {
                        self.track(channel, counter: counter)
                    } else {
                        channel.closeFuture.whenComplete { _ in counter.closed() }
                    }
                    let pipeline = channel.pipeline.syncOperations
                    if let tls {
                        let tlsContext = tls.withLockedValue { $0 }
                        try pipeline.addHandler(
                            TLSHandler(context: tlsContext, role: .server, handshakeTimeout: limits.handshakeTimeout)
                        )
                    }
                    try pipeline.addHandler(
                        ConnectionSetupHandler(
                            limits: limits,
                            responder: responder,
                            logger: logger,
                            metrics: metrics,
                            // Requests on a plaintext (admin) listener are not observed.
                            observing: tls == nil
                                ? nil
                                : Self.observing(
                                    name: name,
                                    host: host,
                                    port: port,
                                    channel,
                                    observer.withLockedValue { $0 },
                                    tracer
                                )
                        )
                    )
                }
            }
            .bind(host: host, port: port)
            .get()
    }

    /// What a new connection on a listener reports its requests to; `nil` when nothing observes or traces them.
    private static func observing(
        name: String?,
        host: String,
        port: Int,
        _ channel: any Channel,
        _ observer: (any RequestObserver)?,
        _ tracer: RequestTracer?
    ) -> RequestObserving? {
        guard observer != nil || tracer != nil else { return nil }
        return RequestObserving(
            listener: Self.recordName(name: name, host: host, port: port, boundTo: channel.localAddress),
            observer: observer,
            tracer: tracer
        )
    }

    /// A listener's name in request records: its configured name, else `host:port` with the port it is bound to.
    private static func recordName(name: String?, host: String, port: Int, boundTo address: SocketAddress?) -> String {
        if let name { return name }
        let host = host.contains(":") ? "[\(host)]" : host
        return "\(host):\(address?.port ?? port)"
    }

    /// Records a new connection, from its own event loop; when it closes, forgets it and tells `counter`. One close
    /// callback does both: each one a connection registers stays allocated for the connection's life.
    private nonisolated func track(_ channel: any Channel, counter: ConnectionCounter) {
        let id = ObjectIdentifier(channel)
        self.acceptLoop.execute {
            self.assumeIsolated { server in
                guard case .listening = server.state else {
                    channel.close(promise: nil)
                    return
                }
                server.connections[id] = channel
            }
        }
        channel.closeFuture.whenComplete { _ in
            counter.closed()
            self.acceptLoop.execute {
                self.assumeIsolated { $0.connections[id] = nil }
            }
        }
    }
}
