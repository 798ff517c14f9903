public import Foundation
import GatehouseAuth
import GatehouseBoundToken
import GatehouseCertificates
import GatehouseTransport
import Logging

/// `gatehouse check`: validates a configuration exactly as `serve` does, without binding a port, and reports
/// what it holds and what needs attention.
///
/// Validation is ``GatehouseService``'s own: the same loader, and the same assembly of TLS contexts, policies,
/// routes and functions, so a configuration this accepts is one `serve` starts with (short of the ports being
/// free), and an error is the one `serve` prints. The report then reads the trust material again for its dates
/// and warns about certificates and CAs that expire within ``expiryWarningWindow`` or have expired, CRLs past their
/// nextUpdate, server certificates whose SANs do not cover the listener's host, and routes without a policy on a
/// listener that asks for client certificates.
///
/// ```swift
/// let report = try ConfigurationCheck().check(configurationFile: "/etc/gatehouse/gatehouse.yaml")
/// print(report.text)
/// ```
public struct ConfigurationCheck: Sendable {
    /// The functions routes may name (`serve`'s: the built-ins).
    public var functions: FunctionRegistry
    /// The authenticators routes may name.
    public var authenticators: AuthenticatorRegistry
    /// How far ahead an expiring certificate, CA or CRL is worth a warning: 30 days.
    public var expiryWarningWindow: TimeInterval = 30 * 86_400

    /// A check accepting `functions` and `authenticators`, as a ``GatehouseService`` built with them would.
    public init(functions: FunctionRegistry = .builtIn, authenticators: AuthenticatorRegistry = AuthenticatorRegistry())
    {
        self.functions = functions
        self.authenticators = authenticators
    }

    /// Reads `configurationFile` and checks it.
    ///
    /// Expensive: reads every certificate, key and CRL (twice: once as `serve` does, once for the report).
    /// - Throws: ``ConfigurationError``, the same `serve` would stop with.
    public func check(configurationFile: String, now: Date = Date()) throws -> CheckReport {
        let loader = ConfigurationLoader(
            functionNames: self.functions.names,
            authenticatorNames: self.authenticators.names
        )
        return try self.check(configuration: try loader.load(file: configurationFile), now: now)
    }

    /// Checks a configuration built in code (the embedded default) or already read.
    /// - Throws: ``ConfigurationError``, the same ``GatehouseService`` would throw.
    public func check(configuration: GatehouseConfiguration, now: Date = Date()) throws -> CheckReport {
        let logger = Logger(label: "gatehouse.check") { _ in SwiftLogNoOpLogHandler() }
        // `serve`'s validation, whole: building the service binds nothing (only `Server.start()` does).
        _ = try GatehouseService(
            configuration: configuration,
            functions: self.functions,
            authenticators: self.authenticators,
            logger: logger
        )
        let assembly = ServiceAssembly(
            configuration: configuration,
            functions: self.functions,
            authenticators: self.authenticators,
            logger: logger,
            verifiedChains: VerifiedChainCache(limits: configuration.verificationCache)
        )
        let policies = try assembly.policies()
        var warnings = CheckWarnings(configuration: configuration, now: now, window: self.expiryWarningWindow)
        let listeners = try self.listenerReports(configuration, warnings: &warnings, now: now)
        let reports = configuration.policies.compactMap { policies[$0.name] }.map { policy in
            Self.policyReport(policy, warnings: &warnings, now: now)
        }
        warnings.routesWithoutPolicy()
        var report = CheckReport(
            configuration: configuration.file,
            checkedAt: isoDate(now),
            ok: true,
            listeners: listeners,
            routes: configuration.routes.enumerated().map {
                CheckReport.Route($1, index: $0, upstreams: configuration.upstreams)
            },
            policies: reports,
            warnings: warnings.warnings
        )
        report.authenticators = try Self.authenticatorReports(configuration, assembly: assembly)
        return report
    }

    /// Each authenticator the file defines, with the keys it loaded and the routes that name it.
    private static func authenticatorReports(
        _ configuration: GatehouseConfiguration,
        assembly: ServiceAssembly
    ) throws -> [CheckReport.Authenticator] {
        let made = try assembly.definedAuthenticators()
        return configuration.authenticators.compactMap { named in
            guard let tokens = made[named.name] as? BoundTokenAuthenticator else { return nil }
            let routes = configuration.routes.enumerated().filter { $1.authenticators.joined().contains(named.name) }
            return CheckReport.Authenticator(
                name: named.name,
                type: "boundToken",
                issuer: tokens.configuration.issuer,
                audiences: tokens.configuration.audiences,
                leeway: tokens.configuration.leeway.configText,
                jwks: tokens.configuration.jwks,
                keys: tokens.keySet.keys.map { CheckReport.Authenticator.Key(kid: $0.id, alg: $0.algorithm) },
                routes: routes.map { "routes[\($0.offset)]" }
            )
        }
    }

    /// Each listener's summary, warning about its certificates and its host.
    private func listenerReports(
        _ configuration: GatehouseConfiguration,
        warnings: inout CheckWarnings,
        now: Date
    ) throws -> [CheckReport.Listener] {
        try configuration.listeners.enumerated().map { index, listener in
            let identity = try self.identity(of: listener, index: index, in: configuration)
            let key = "listeners[\(index)].tls"
            let identityKey: String
            switch listener.tls.identity {
            case .pem: identityKey = key + ".certificate"
            case .pkcs12: identityKey = key + ".pkcs12"
            }
            warnings.expiry(of: [identity.leaf], role: "the server certificate", key: identityKey)
            warnings.expiry(of: identity.chain, role: "the intermediate CA", key: identityKey)
            warnings.expiry(of: identity.trustedCAs, role: "the trusted CA", key: key + ".trustedCAs")
            warnings.hostCoverage(of: listener, index: index, leaf: identity.leaf)
            var report = CheckReport.Listener(listener, index: index, identity: identity, now: now)
            report.trustForwardedClientCertificate = configuration.trustForwardedClientCertificate[index].map {
                CheckReport.ForwardedCertificateTrust(header: $0.header.rawValue, fromPolicy: $0.fromPolicy)
            }
            return report
        }
    }

    /// A policy's summary, warning about its trust material.
    private static func policyReport(
        _ policy: ClientCertificatePolicy,
        warnings: inout CheckWarnings,
        now: Date
    ) -> CheckReport.Policy {
        let key = "policies.\(policy.name)"
        warnings.expiry(of: policy.trustedCACertificates, role: "the trusted CA", key: key + ".trustedCAs")
        warnings.expiry(of: policy.intermediateCertificates, role: "the intermediate CA", key: key + ".intermediates")
        warnings.expiry(
            of: policy.allowListedCertificates,
            role: "the allow-listed certificate",
            key: key + ".certificates"
        )
        warnings.outdatedCRLs(of: policy)
        return CheckReport.Policy(policy, now: now)
    }

    /// The certificates listener `index` presents and trusts; a file that changed since the service read it is an
    /// error at the listener's `tls` key, as the service's own would be.
    private func identity(
        of listener: ListenerConfiguration,
        index: Int,
        in configuration: GatehouseConfiguration
    ) throws -> ServerIdentity {
        do {
            return try ServerIdentity(listener.tls)
        } catch let error as CertificateError {
            let key = "listeners[\(index)].tls"
            throw ConfigurationError(
                file: configuration.file,
                keyPath: key,
                line: ConfigurationReader.line(of: key, inFile: configuration.file),
                problem: error.detail
            )
        }
    }
}
