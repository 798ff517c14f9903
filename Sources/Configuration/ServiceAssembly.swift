import Foundation
import GatehouseAuth
import GatehouseBoundToken
import GatehouseCertificates
import GatehouseClient
import GatehouseGateway
import GatehouseRouting
import GatehouseTransport
import Logging
import Metrics

/// Builds what a configuration describes: its policies (reading every trust file), its request chain and a
/// check of its listeners' TLS material. Every failure is a ``ConfigurationError`` naming the file and key.
///
/// Expensive: reads and parses certificates, keys and CRLs. Call at start-up or on reload, never on an
/// event loop.
struct ServiceAssembly {
    let configuration: GatehouseConfiguration
    let functions: FunctionRegistry
    let authenticators: AuthenticatorRegistry
    let logger: Logger
    /// Where the service's instruments are created; the bootstrapped `MetricsSystem` by default.
    var metricsFactory: any MetricsFactory = MetricsSystem.factory
    /// Each policy's monitor, shared by every authenticator of the policy and kept across reloads; `nil` gives
    /// every authenticator its own.
    var monitors: PolicyMonitors? = nil
    /// The service's one verified-chain cache, shared by every TLS context and policy it builds (and kept across
    /// reloads, so its bound holds across them).
    let verifiedChains: VerifiedChainCache
    /// Each policy's OCSP status cache, kept across reloads; `nil` gives every `ocsp` policy a new one.
    var ocspCaches: OCSPStatusCaches? = nil
    /// The upstreams' clients, kept across reloads; `nil` makes new ones (`gatehouse check`).
    var upstreamClients: UpstreamClients? = nil

    /// Loads every named policy.
    func policies() throws -> [String: ClientCertificatePolicy] {
        var policies: [String: ClientCertificatePolicy] = [:]
        for named in self.configuration.policies {
            do {
                policies[named.name] = try ClientCertificatePolicy.load(
                    named.configuration,
                    name: named.name,
                    relativeTo: nil,
                    verifiedChains: self.verifiedChains,
                    ocspCaches: self.ocspCaches
                )
            } catch let error as PolicyError {
                let file = error.file.map { error.detail.contains($0) ? "" : " (\($0))" } ?? ""
                throw self.error(at: error.key, error.detail + file)
            }
        }
        return policies
    }

    /// Every listener's TLS context, built the way the server builds it (reading its certificate, key and
    /// trusted CAs); an error names the listener.
    func tlsContexts() throws -> [TLSContext] {
        try self.configuration.listeners.enumerated().map { index, listener in
            do {
                return try TLSContext(
                    server: listener.tls,
                    limits: listener.limits,
                    verifiedChains: self.verifiedChains
                )
            } catch let error as TLSError {
                throw self.error(at: "listeners[\(index)].tls" + (error.key.map { ".\($0)" } ?? ""), error.detail)
            } catch {
                throw self.error(at: "listeners[\(index)].tls", "\(error)")
            }
        }
    }

    /// Each listener's request chain, in listener order: one built from the routes served on it. When no route
    /// names listeners, every listener shares one chain.
    func chains(handles: [String: PolicyHandle]) throws -> [any Responder] {
        let listeners = self.configuration.listeners
        let names = Set(listeners.compactMap(\.name))
        for route in self.configuration.routes {
            // The loader checks a file's names with their lines; this catches configurations built in code.
            if let unknown = route.listeners?.first(where: { !names.contains($0) }) {
                throw self.error(at: route.keyPath + ".listeners", "unknown listener '\(unknown)'")
            }
        }
        let defined = try self.definedAuthenticators()
        let trusts = self.configuration.trustForwardedClientCertificate
        guard self.configuration.routes.contains(where: { $0.listeners != nil }) || !trusts.isEmpty else {
            let chain = try self.chain(self.configuration.routes, handles: handles, defined: defined)
            return Array(repeating: chain, count: listeners.count)
        }
        return try listeners.enumerated().map { index, listener in
            try self.chain(
                self.configuration.routes.filter { $0.isServed(on: listener) },
                handles: handles,
                defined: defined,
                forwarded: try trusts[index].map { try self.forwardedCertificates($0, on: listener, handles: handles) }
            )
        }
    }

    /// The first step of a listener that trusts a proxy's forwarded client certificate: the proxy policy's
    /// authenticator decides which connections are the proxy's.
    private func forwardedCertificates(
        _ trust: ForwardedCertificateTrust,
        on listener: ListenerConfiguration,
        handles: [String: PolicyHandle]
    ) throws -> ForwardedClientCertificateMiddleware {
        guard let handle = handles[trust.fromPolicy] else {
            throw self.error(at: trust.keyPath + ".fromPolicy", "unknown policy '\(trust.fromPolicy)'")
        }
        return ForwardedClientCertificateMiddleware(
            header: trust.header,
            proxies: self.authenticator(handle, policy: trust.fromPolicy),
            limits: ForwardedChainLimits(maxBytes: listener.limits.maxClientCertificateChainSize),
            logger: self.logger
        )
    }

    /// The request chain for `routes`: a request log line at debug (when the logger writes debug lines), then the
    /// router; each route runs its policy's authenticator (through `handles`, so a reload can swap the policy),
    /// then one ``AuthenticationMiddleware`` per step of its `authenticators` (registered in code, or `defined` by the
    /// file), before its function. `forwarded`, when the listener trusts a proxy's forwarded certificates, comes
    /// first, in front of the request log.
    func chain(
        _ configuredRoutes: [RouteConfiguration],
        handles: [String: PolicyHandle],
        defined: [String: any Authenticator] = [:],
        forwarded: ForwardedClientCertificateMiddleware? = nil
    ) throws -> any Responder {
        var routes = RouterBuilder()
        for route in configuredRoutes {
            let function: any Function
            if let upstream = route.upstream {
                function = try self.upstreamProxy(upstream, for: route)
            } else if let registered = self.functions[route.function] {
                function = registered
            } else {
                throw self.error(at: route.keyPath + ".function", "unknown function '\(route.function)'")
            }
            var middleware: [any Middleware] = []
            if let name = route.policy {
                guard let handle = handles[name] else {
                    throw self.error(at: route.keyPath + ".policy", "unknown policy '\(name)'")
                }
                middleware.append(self.authenticator(handle, policy: name).middleware())
            }
            for (index, step) in route.authenticators.enumerated() {
                let authenticators = try step.map { name in
                    guard let authenticator = self.authenticators[name] ?? defined[name] else {
                        throw ConfigurationError(
                            file: self.configuration.file,
                            keyPath: route.keyPath + ".authenticators[\(index)]",
                            problem: "unknown authenticator '\(name)'"
                        )
                    }
                    return authenticator
                }
                middleware.append(AuthenticationMiddleware(authenticators))
            }
            do {
                try routes.add(route.path, methods: route.methods, function: function, middleware: middleware)
            } catch {
                throw self.error(at: route.keyPath + ".path", "\(error)")
            }
        }
        // A swift-log line per request is a debugging aid, at debug: the log handler formats and writes it on the
        // event loop (swift-log's stream handler: one write to standard error each), which doubles a request's
        // instructions. The per-request record is the access log (`accessLog:`), written off the event loop. The
        // level is fixed with the logger: when it drops debug lines, the middleware is left out instead of asked
        // per request (a reload rebuilds the chain anyway).
        var front: [any Middleware] = forwarded.map { [$0] } ?? []
        if self.logger.logLevel <= .debug { front.append(RequestLogger(logger: self.logger, level: .debug)) }
        guard !front.isEmpty else { return routes.build() }
        return front.chained(to: routes.build())
    }

    /// Makes every authenticator the file defines under `authenticators:`, reading their key files: at start and at
    /// every reload, so a changed JWKS applies and a broken one refuses the reload. An error names the entry's key.
    func definedAuthenticators() throws -> [String: any Authenticator] {
        var authenticators: [String: any Authenticator] = [:]
        for named in self.configuration.authenticators {
            switch named.definition {
            case .boundToken(let configuration):
                do {
                    authenticators[named.name] = try BoundTokenAuthenticator(configuration, logger: self.logger)
                } catch let error as BoundTokenError {
                    throw self.error(at: named.keyPath + "." + error.key, error.detail)
                }
            }
        }
        return authenticators
    }

    /// The proxy of an upstream route: the upstream's client (shared by its routes, kept across reloads while its
    /// settings stay the same) and the route's `stripPrefix`.
    private func upstreamProxy(_ name: String, for route: RouteConfiguration) throws -> UpstreamProxy {
        guard let upstream = self.configuration.upstreams.first(where: { $0.name == name }) else {
            throw self.error(at: route.keyPath + ".upstream", "unknown upstream '\(name)'")
        }
        let client: HTTPClient
        do {
            client =
                try self.upstreamClients?.client(for: upstream)
                ?? HTTPClient(configuration: upstream.clientConfiguration)
        } catch let error as ClientError {
            throw self.error(at: upstream.keyPath + ".tls", error.message)
        }
        return UpstreamProxy(upstream: upstream, client: client, stripPrefix: route.stripPrefix, logger: self.logger)
    }

    /// The client-certificate authenticator of the policy `name`, reporting to its monitor.
    private func authenticator(_ handle: PolicyHandle, policy name: String) -> ClientCertificateAuthenticator {
        ClientCertificateAuthenticator(policy: handle, logger: self.logger, monitor: self.monitors?.monitor(for: name))
    }

    /// The admin listener's TLS context, when it has TLS; an error names `admin.tls`.
    func adminTLSContext() throws -> TLSContext? {
        guard let admin = self.configuration.admin, let tls = admin.tls else { return nil }
        do {
            return try TLSContext(server: tls, limits: admin.limits)
        } catch let error as TLSError {
            throw self.error(at: "admin.tls" + (error.key.map { ".\($0)" } ?? ""), error.detail)
        } catch {
            throw self.error(at: "admin.tls", "\(error)")
        }
    }

    /// The admin listener's routes, `/metrics` behind the admin policy when it names one.
    func adminRouter(handles: [String: PolicyHandle], metrics: ServiceMetrics, readiness: Readiness) throws -> Router {
        var middleware: [any Middleware] = []
        if let name = self.configuration.admin?.policy {
            guard let handle = handles[name] else { throw self.error(at: "admin.policy", "unknown policy '\(name)'") }
            middleware.append(self.authenticator(handle, policy: name).middleware())
        }
        return try AdminEndpoints.router(metrics: metrics, readiness: readiness, metricsMiddleware: middleware)
    }

    /// The access log the configuration asks for, its file opened; `nil` when it has no `accessLog`.
    func accessLog() throws -> AccessLog? {
        guard let configuration = self.configuration.accessLog else { return nil }
        do {
            return try AccessLog(configuration, logger: self.logger, metricsFactory: self.metricsFactory)
        } catch {
            throw self.error(at: "accessLog.path", "\(error)")
        }
    }

    /// The request metrics, made with ``metricsFactory``; `nil` when that is the no-op factory, so that a server
    /// without metrics observes nothing.
    func requestMetrics() -> RequestMetrics? {
        if self.metricsFactory is NOOPMetricsHandler { return nil }
        return RequestMetrics(factory: self.metricsFactory)
    }

    /// An error at `keyPath`, with the line the file holds it on (found again in the file: only errors pay for it).
    private func error(at keyPath: String, _ problem: String) -> ConfigurationError {
        let file = self.configuration.file
        let line = ConfigurationReader.line(of: keyPath, inFile: file)
        return ConfigurationError(file: file, keyPath: keyPath, line: line, problem: problem)
    }

    /// Every file and folder whose change should trigger a reload: the configuration file, each listener's TLS
    /// files and each policy's trust material, as configured (a folder is watched as a folder, so the set only
    /// changes when the configuration does and no change slips between two reloads).
    func watchedPaths() -> [String] {
        var paths: [String] =
            FileManager.default.fileExists(atPath: self.configuration.file) ? [self.configuration.file] : []
        for listener in self.configuration.listeners {
            switch listener.tls.identity {
            case .pem(let certificate, let key): paths += [certificate, key]
            case .pkcs12(let file, _): paths.append(file)
            }
            paths += listener.tls.trustedCAFiles
            paths += [listener.tls.sessionTicketKeyFile].compactMap { $0 }
        }
        if let tls = self.configuration.admin?.tls {
            switch tls.identity {
            case .pem(let certificate, let key): paths += [certificate, key]
            case .pkcs12(let file, _): paths.append(file)
            }
            paths += tls.trustedCAFiles
            paths += [tls.sessionTicketKeyFile].compactMap { $0 }
        }
        for named in self.configuration.policies {
            let policy = named.configuration
            paths += policy.trustedCAs + policy.intermediates + policy.crls + policy.certificates
        }
        for named in self.configuration.authenticators {
            switch named.definition {
            case .boundToken(let configuration): paths.append(configuration.jwks)
            }
        }
        for upstream in self.configuration.upstreams {
            paths += upstream.tls.trustedCAs + [upstream.tls.certificate, upstream.tls.privateKey].compactMap { $0 }
        }
        var seen = Set<String>()
        return paths.filter { seen.insert($0).inserted }
    }
}
