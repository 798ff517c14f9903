import Auth
import Foundation
public import Logging
public import ServiceLifecycle
public import Transport
import UnixSignals

/// A server run from a configuration, that reloads it — on SIGHUP, and by itself when a watched trust file or
/// the configuration file changes.
///
/// A reload builds the new policies, chain and TLS contexts completely before swapping anything; a broken
/// new configuration is refused with a logged reason and the old one keeps serving. Policies keep their
/// handles across reloads, so every connection re-evaluates its client certificate on its next request;
/// requests in flight finish on the chain they started with. Listener addresses and limits need a restart.
///
/// ```swift
/// let service = try GatehouseService(configurationFile: "gatehouse.yaml", logger: logger)
/// try await ServiceGroup(services: service.services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
/// ```
public actor GatehouseService {
    /// The server; start it (or run ``services``) to listen.
    public nonisolated let server: Server
    private let source: Source
    private let functions: FunctionRegistry
    private let logger: Logger
    private let responder: ResponderHandle
    private var configuration: GatehouseConfiguration
    private var handles: [String: PolicyHandle]
    private var watcher: FileWatcher?
    /// Files and folders whose change triggers a reload.
    public private(set) var watchedPaths: [String]
    /// How many reloads succeeded.
    public private(set) var reloadCount = 0

    private enum Source {
        case file(String, ConfigurationLoader, adjust: @Sendable (inout GatehouseConfiguration) -> Void)
        case embedded(GatehouseConfiguration)
    }

    /// Reads, checks and assembles `configurationFile`.
    /// - Parameter adjust: applied to every read of the file, e.g. to replace a listener's port from the
    ///   command line.
    /// - Throws: ``ConfigurationError`` naming the file, the key and what is wrong.
    public init(
        configurationFile: String,
        functions: FunctionRegistry = .builtIn,
        logger: Logger,
        adjust: @escaping @Sendable (inout GatehouseConfiguration) -> Void = { _ in }
    ) throws {
        let loader = ConfigurationLoader(functionNames: functions.names)
        try self.init(source: .file(configurationFile, loader, adjust: adjust), functions: functions, logger: logger)
    }

    /// Assembles a configuration built in code (the embedded default); reloads re-read its trust files.
    /// - Throws: ``ConfigurationError``.
    public init(configuration: GatehouseConfiguration, functions: FunctionRegistry = .builtIn, logger: Logger) throws {
        try self.init(source: .embedded(configuration), functions: functions, logger: logger)
    }

    private init(source: Source, functions: FunctionRegistry, logger: Logger) throws {
        let configuration = try Self.read(source)
        let assembly = ServiceAssembly(configuration: configuration, functions: functions, logger: logger)
        try assembly.checkListeners()
        let policies = try assembly.policies()
        let handles = policies.mapValues(PolicyHandle.init)
        let responder = ResponderHandle(try assembly.chain(handles: handles))
        self.source = source
        self.functions = functions
        self.logger = logger
        self.responder = responder
        self.configuration = configuration
        self.handles = handles
        self.watchedPaths = assembly.watchedPaths()
        self.server = Server(
            configuration: ServerConfiguration(
                listeners: configuration.listeners,
                shutdownGracePeriod: configuration.shutdownGracePeriod
            ),
            responder: responder,
            logger: logger
        )
    }

    /// The services to run in a `ServiceGroup`: the server, the file watcher and the SIGHUP listener.
    ///
    /// SIGHUP is trapped from this call on, so call it before announcing the server.
    public func services(watchInterval: Duration = .milliseconds(500)) async -> [any Service] {
        let watcher = FileWatcher(paths: self.watchedPaths, interval: watchInterval) { [weak self] changed in
            await self?.reload(reason: "changed: \(changed.joined(separator: ", "))")
        }
        self.watcher = watcher
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        return [self.server, watcher, ReloadOnHangup(service: self, signals: hangups)]
    }

    /// Re-reads the configuration and all trust material and swaps them in, or keeps the old ones.
    /// - Returns: whether the new configuration is now serving.
    @discardableResult
    public func reload(reason: String) async -> Bool {
        do {
            let configuration = try Self.read(self.source)
            let assembly = ServiceAssembly(configuration: configuration, functions: self.functions, logger: self.logger)
            let policies = try assembly.policies()
            var handles: [String: PolicyHandle] = [:]
            for (name, policy) in policies { handles[name] = self.handles[name] ?? PolicyHandle(policy) }
            let chain = try assembly.chain(handles: handles)
            try await self.updateListeners(to: configuration)
            // Nothing can fail from here on: swap everything.
            for (name, policy) in policies { handles[name]?.replace(with: policy) }
            self.handles = handles
            self.responder.replace(with: chain)
            self.configuration = configuration
            self.watchedPaths = assembly.watchedPaths()
            await self.watcher?.watch(self.watchedPaths)
            self.reloadCount += 1
            self.logger.notice("configuration reloaded", metadata: ["reason": "\(reason)", "reloads": "\(self.reloadCount)"])
            return true
        } catch {
            self.logger.error(
                "reload refused; the previous configuration keeps serving",
                metadata: ["reason": "\(reason)", "error": "\(error)"]
            )
            return false
        }
    }

    /// Applies new TLS material to the running listeners; address, port, protocol and limit changes are
    /// logged as needing a restart.
    private func updateListeners(to configuration: GatehouseConfiguration) async throws {
        let old = self.configuration.listeners
        let new = configuration.listeners
        let sameShape = old.count == new.count
            && zip(old, new).allSatisfy { $0.host == $1.host && $0.port == $1.port && $0.limits == $1.limits }
        guard sameShape else {
            self.logger.warning("listener addresses or limits changed: restart gatehouse to apply them")
            return
        }
        do {
            try await self.server.updateTLS(new.map(\.tls))
        } catch {
            throw ConfigurationError(file: configuration.file, keyPath: "listeners", problem: "\(error)")
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
        for await _ in self.signals.cancelOnGracefulShutdown() {
            await self.service.reload(reason: "SIGHUP")
        }
    }
}
