import Foundation
import GatehouseAuth
package import GatehouseCertificates
public import GatehouseTransport
public import Logging
public import Metrics
public import ServiceLifecycle
import UnixSignals

/// A server run from a configuration, that reloads it — on SIGHUP, and by itself when a watched trust file or
/// the configuration file changes.
///
/// A reload builds the new policies, routes and TLS contexts completely before swapping anything; a broken
/// new configuration is refused with a logged reason and the old one keeps serving. Everything else applies:
/// certificates, keys, trust material, protocols, policies and routes. Policies keep their handles across
/// reloads, so every connection re-evaluates its client certificate on its next request; requests in flight
/// finish on the chain they started with. What needs a restart — a listener's address, port or limits, an
/// added or removed listener — is logged per listener and listed in ``pendingRestart``. Reloads run one at a
/// time; triggers that arrive during one are served together by one more.
///
/// With `admin:` configured it also runs the admin listener (``admin``): `/metrics`, `/healthz`, `/readyz`. Every
/// instrument — connections, handshakes, decisions, reloads, expiry series — is created in one `MetricsFactory`
/// (see ``init(configurationFile:functions:authenticators:logger:metricsFactory:adjust:)``).
///
/// ```swift
/// let service = try GatehouseService(configurationFile: "gatehouse.yaml", logger: logger)
/// try await ServiceGroup(services: service.services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
/// ```
public actor GatehouseService {
    /// The server; start it (or run ``services``) to listen.
    public nonisolated let server: Server
    /// The admin listener's server, when `admin:` is configured; ``services(watchInterval:)`` runs it.
    public nonisolated let admin: Server?
    /// What `GET /readyz` answers: ready while the services run, draining once a graceful shutdown started.
    public nonisolated let readiness: Readiness
    let metrics: ServiceMetrics
    /// The admin listener the service was started with: a change needs a restart.
    private let runningAdmin: AdminConfiguration?
    /// The configuration generation: 1 at start, one more per successful reload.
    private var generation = 1
    private let source: Source
    private let functions: FunctionRegistry
    private let authenticators: AuthenticatorRegistry
    let logger: Logger
    /// Each running listener's request chain, swapped by a reload.
    private let responders: [ResponderHandle]
    /// The listeners the server was started with: their addresses and limits hold until a restart.
    private let running: [ListenerConfiguration]
    private var handles: [String: PolicyHandle]
    /// The service's one verified-chain cache: its listeners' and policies' (across reloads).
    private nonisolated let verifiedChains: VerifiedChainCache
    /// Each policy's OCSP statuses, kept across reloads (see ``OCSPStatusCaches``).
    private nonisolated let ocspCaches: OCSPStatusCaches
    /// What the service's verified-chain cache has done and holds, for tests and diagnostics.
    package nonisolated var verifiedChainStatistics: VerifiedChainCache.Statistics { self.verifiedChains.statistics }
    /// The bounds the service's verified-chain cache was created with (`verificationCache:` at start).
    package nonisolated var verifiedChainLimits: VerificationCacheLimits { self.verifiedChains.limits }
    private var watcher: FileWatcher?
    private let reloads = ReloadSequencer()
    /// The upstreams' HTTP clients, kept across reloads while an upstream's settings stay the same.
    nonisolated let upstreamClients: UpstreamClients
    /// Files and folders whose change triggers a reload.
    public private(set) var watchedPaths: [String]
    /// How many reloads succeeded.
    public private(set) var reloadCount = 0
    /// How many reloads ran, successful or refused; triggers that arrive during a reload share the next one.
    public private(set) var reloadRuns = 0
    /// The configured listener changes the running server has not applied because they need a restart, as of
    /// the last successful reload: `listeners[0]: port, limits.maxBodySize`.
    public private(set) var pendingRestart: [String] = []
    /// The access log, while one is configured.
    public internal(set) var accessLog: AccessLog?
    /// The request metrics; `nil` when the metrics factory is the no-op one.
    let requestMetrics: RequestMetrics?

    private enum Source {
        case file(String, ConfigurationLoader, adjust: @Sendable (inout GatehouseConfiguration) -> Void)
        case embedded(GatehouseConfiguration)
    }

    /// Reads, checks and assembles `configurationFile`.
    /// - Parameters:
    ///   - metricsFactory: where every instrument is created. By default the bootstrapped `MetricsSystem`'s factory;
    ///     when that is not Prometheus's and `admin:` is configured, a Prometheus registry of the service's own,
    ///     which `/metrics` serves.
    ///   - adjust: applied to every read of the file, e.g. to replace a listener's port from the command line.
    /// - Throws: ``ConfigurationError`` naming the file, the key and what is wrong.
    public init(
        configurationFile: String,
        functions: FunctionRegistry = .builtIn,
        authenticators: AuthenticatorRegistry = AuthenticatorRegistry(),
        logger: Logger,
        metricsFactory: (any MetricsFactory)? = nil,
        adjust: @escaping @Sendable (inout GatehouseConfiguration) -> Void = { _ in }
    ) throws {
        let loader = ConfigurationLoader(functionNames: functions.names, authenticatorNames: authenticators.names)
        try self.init(
            source: .file(configurationFile, loader, adjust: adjust),
            functions: functions,
            authenticators: authenticators,
            logger: logger,
            metricsFactory: metricsFactory
        )
    }

    /// Assembles a configuration built in code (the embedded default); reloads re-read its trust files.
    /// - Parameter metricsFactory: as for ``init(configurationFile:functions:authenticators:logger:metricsFactory:adjust:)``.
    /// - Throws: ``ConfigurationError``.
    public init(
        configuration: GatehouseConfiguration,
        functions: FunctionRegistry = .builtIn,
        authenticators: AuthenticatorRegistry = AuthenticatorRegistry(),
        logger: Logger,
        metricsFactory: (any MetricsFactory)? = nil
    ) throws {
        try self.init(
            source: .embedded(configuration),
            functions: functions,
            authenticators: authenticators,
            logger: logger,
            metricsFactory: metricsFactory
        )
    }

    private init(
        source: Source,
        functions: FunctionRegistry,
        authenticators: AuthenticatorRegistry,
        logger: Logger,
        metricsFactory: (any MetricsFactory)?
    ) throws {
        let configuration = try Self.read(source)
        let metrics = ServiceMetrics(
            factory: ServiceMetrics.factory(given: metricsFactory, hasAdmin: configuration.admin != nil),
            expiryWarning: configuration.expiryWarning,
            logger: logger
        )
        let verifiedChains = VerifiedChainCache(limits: configuration.verificationCache)
        var assembly = ServiceAssembly(
            configuration: configuration,
            functions: functions,
            authenticators: authenticators,
            logger: logger,
            metricsFactory: metrics.factory,
            monitors: metrics.monitors,
            verifiedChains: verifiedChains
        )
        let ocspCaches = OCSPStatusCaches()
        assembly.ocspCaches = ocspCaches
        let upstreamClients = UpstreamClients()
        assembly.upstreamClients = upstreamClients
        self.upstreamClients = upstreamClients
        _ = try assembly.tlsContexts()
        _ = try assembly.adminTLSContext()
        let policies = try assembly.policies()
        let handles = policies.mapValues(PolicyHandle.init)
        let responders = try assembly.chains(handles: handles).map(ResponderHandle.init)
        let readiness = Readiness()
        self.readiness = readiness
        self.admin = try configuration.admin.map { admin in
            let router = try assembly.adminRouter(handles: handles, metrics: metrics, readiness: readiness)
            return admin.server(
                responder: router,
                shutdownGracePeriod: configuration.shutdownGracePeriod,
                logger: logger
            )
        }
        self.runningAdmin = configuration.admin
        self.metrics = metrics
        metrics.loaded(configuration, generation: 1)
        let accessLog = try assembly.accessLog()
        let requestMetrics = assembly.requestMetrics()
        self.accessLog = accessLog
        self.requestMetrics = requestMetrics
        self.source = source
        self.functions = functions
        self.authenticators = authenticators
        self.logger = logger
        self.responders = responders
        self.running = configuration.listeners
        self.handles = handles
        self.verifiedChains = verifiedChains
        self.ocspCaches = ocspCaches
        self.watchedPaths = assembly.watchedPaths()
        self.server = Server(
            configuration: ServerConfiguration(
                listeners: configuration.listeners,
                shutdownGracePeriod: configuration.shutdownGracePeriod
            ),
            responders: responders,
            logger: logger,
            metricsFactory: metrics.factory,
            observer: Self.observer(accessLog: accessLog, metrics: requestMetrics),
            verifiedChains: verifiedChains
        )
    }

    /// The services to run in a `ServiceGroup`: the admin listener (when configured), the server, the file
    /// watcher, the SIGHUP listener and the readiness flag.
    ///
    /// SIGHUP is trapped from this call on, so call it before announcing the server. A group shuts its services down
    /// last first: `/readyz` turns to draining, then the server drains while the admin listener still answers.
    public func services(watchInterval: Duration = .milliseconds(500)) async -> [any Service] {
        let watcher = FileWatcher(paths: self.watchedPaths, interval: watchInterval) { [weak self] changed in
            await self?.reload(reason: "changed: \(changed.joined(separator: ", "))")
        }
        self.watcher = watcher
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        let userSignals = await UnixSignalsSequence(trapping: .sigusr1)
        // A group shuts its services down in reverse order: the admin listener answers (`/readyz` 503) while the
        // server drains, and the access log closes last.
        let services: [any Service] = [
            self.server, watcher, ReloadOnHangup(service: self, signals: hangups),
            ReadinessFlag(server: self.server, readiness: self.readiness),
            ReopenAccessLogOnUserSignal(service: self, signals: userSignals),
        ]
        return [UpstreamClientsCloser(clients: self.upstreamClients), AccessLogCloser(service: self)]
            + (self.admin.map { [$0] } ?? []) + services
    }

    /// Re-reads the configuration and all trust material and applies everything that does not need a restart, or
    /// keeps the old configuration whole. Runs after the reload under way, if any, sharing it with every other
    /// trigger that arrived meanwhile.
    /// - Returns: whether the new configuration is now serving (apart from ``pendingRestart``).
    @discardableResult
    public func reload(reason: String) async -> Bool {
        await self.reloads.reload(reason: reason) { reasons in await self.apply(reasons: reasons) }
    }

    /// One reload, for the triggers in `reasons`; never runs beside another (``ReloadSequencer``).
    private func apply(reasons: [String]) async -> Bool {
        self.reloadRuns += 1
        var seen = Set<String>()
        let reason = reasons.filter { seen.insert($0).inserted }.joined(separator: "; ")
        do {
            let configuration = try Self.read(self.source)
            var assembly = ServiceAssembly(
                configuration: configuration,
                functions: self.functions,
                authenticators: self.authenticators,
                logger: self.logger,
                metricsFactory: self.metrics.factory,
                monitors: self.metrics.monitors,
                verifiedChains: self.verifiedChains
            )
            assembly.ocspCaches = self.ocspCaches
            assembly.upstreamClients = self.upstreamClients
            let policies = try assembly.policies()
            var handles: [String: PolicyHandle] = [:]
            for (name, policy) in policies { handles[name] = self.handles[name] ?? PolicyHandle(policy) }
            let chains = try assembly.chains(handles: handles)
            let contexts = try assembly.tlsContexts()
            let adminContext = try assembly.adminTLSContext()
            let changes = ListenerChanges(running: self.running, new: configuration.listeners)
            let adminChange = AdminChange.pending(running: self.runningAdmin, new: configuration.admin)
            try await self.applyAccessLog(configuration.accessLog, file: configuration.file)
            // Nothing can fail from here on: swap everything.
            await self.server.updateTLS(contexts: changes.counterparts.map { $0.map { contexts[$0] } })
            if adminChange == nil, let adminContext { await self.admin?.updateTLS(contexts: [adminContext]) }
            for (name, policy) in policies { handles[name]?.replace(with: policy) }
            self.handles = handles
            for (responder, counterpart) in zip(self.responders, changes.counterparts) {
                if let counterpart { responder.replace(with: chains[counterpart]) }
            }
            self.watchedPaths = assembly.watchedPaths()
            await self.watcher?.watch(self.watchedPaths)
            self.upstreamClients.retire(keeping: configuration.upstreams)
            self.reloadCount += 1
            self.generation += 1
            let pending = changes.pending + (adminChange.map { [$0] } ?? [])
            self.pendingRestart = pending.map(\.description)
            if configuration.verificationCache != self.verifiedChains.limits {
                // One cache serves every generation of trust material; its bounds hold until a restart.
                self.pendingRestart.append("verificationCache: maxEntries, maxBytes")
            }
            self.metrics.reloaded(succeeded: true)
            self.metrics.loaded(configuration, generation: self.generation)
            self.log(reloaded: pending, reason: reason)
            return true
        } catch {
            self.metrics.reloaded(succeeded: false)
            self.logger.error(
                "reload refused; the previous configuration keeps serving",
                metadata: ["reason": "\(reason)", "error": "\(error)"]
            )
            return false
        }
    }

    /// Logs a successful reload: one warning per listener whose changes wait for a restart, then what was applied.
    private func log(reloaded pending: [ListenerChanges.Pending], reason: String) {
        for change in pending {
            self.logger.warning(
                "listener change not applied: restart gatehouse to apply it",
                metadata: ["listener": "\(change.listener)", "changed": "\(change.keys.joined(separator: ", "))"]
            )
        }
        var metadata: Logger.Metadata = [
            "reason": "\(reason)", "reloads": "\(self.reloadCount)",
            "applied": "certificates, keys, trust material, protocols, policies, routes, access log",
        ]
        if pending.isEmpty {
            self.logger.notice("configuration reloaded", metadata: metadata)
        } else {
            metadata["notApplied"] = "\(pending.map(\.description).joined(separator: "; "))"
            self.logger.notice("configuration reloaded except listener changes that need a restart", metadata: metadata)
        }
    }

    private static func read(_ source: Source) throws -> GatehouseConfiguration {
        switch source {
        case .file(let path, let loader, let adjust):
            var configuration = try loader.load(file: path)
            adjust(&configuration)
            return configuration
        case .embedded(let configuration):
            return configuration
        }
    }
}

/// Reloads a ``GatehouseService`` on every SIGHUP until graceful shutdown.
struct ReloadOnHangup: Service {
    let service: GatehouseService
    let signals: UnixSignalsSequence

    func run() async throws {
        // A child task per signal, so that signals arriving during a reload reach the sequencer at once and share
        // one more reload instead of queueing one each.
        await withDiscardingTaskGroup { group in
            for await _ in self.signals.cancelOnGracefulShutdown() {
                group.addTask { await self.service.reload(reason: "SIGHUP") }
            }
        }
    }
}
