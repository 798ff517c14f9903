import Foundation
import GatehouseAuth
import GatehouseCertificates
import GatehouseGateway
import GatehouseTransport
import Yams

/// Reads a configuration file (YAML; JSON is valid YAML) into a ``GatehouseConfiguration``.
///
/// Checks everything it can without loading certificates: unknown keys, types, missing files, routes that name
/// an unknown policy or function, dangerous combinations. Loading trust material (which finds unreadable
/// certificates) happens when the configuration is assembled.
public struct ConfigurationLoader: Sendable {
    /// The function names routes may use.
    public var functionNames: Set<String>
    /// The authenticator names routes may use in `authenticators`.
    public var authenticatorNames: Set<String>
    /// The variables `${NAME}` is replaced from.
    public var environment: [String: String]

    /// A loader accepting `functionNames` and `authenticatorNames`, interpolating from the process environment by
    /// default.
    public init(
        functionNames: Set<String>,
        authenticatorNames: Set<String> = [],
        environment: [String: String]? = nil
    ) {
        self.functionNames = functionNames
        self.authenticatorNames = authenticatorNames
        self.environment = environment ?? ProcessInfo.processInfo.environment
    }

    /// Reads and checks `file`.
    /// - Throws: ``ConfigurationError`` naming the file, the key path and the problem.
    public func load(file: String) throws -> GatehouseConfiguration {
        let path = absolutePath(file, relativeTo: FileManager.default.currentDirectoryPath)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(file: path, keyPath: "", problem: "cannot read the file")
        }
        return try self.parse(String(decoding: data, as: UTF8.self), file: path)
    }

    /// Parses `text` as if read from `file` (relative paths resolve against the file's folder).
    /// - Throws: ``ConfigurationError``.
    public func parse(_ text: String, file: String) throws -> GatehouseConfiguration {
        let node: Node
        do {
            guard let composed = try Yams.compose(yaml: text) else {
                throw ConfigurationError(file: file, keyPath: "", problem: "the file is empty")
            }
            node = composed
        } catch let error as ConfigurationError {
            throw error
        } catch {
            throw ConfigurationError(file: file, keyPath: "", problem: "not valid YAML: \(error)")
        }
        let root = ConfigNode(node: node, keyPath: "", file: file, environment: self.environment)
        let reader = ConfigurationReader(baseDirectory: (file as NSString).deletingLastPathComponent)
        let top = try root.mapping(allowed: [
            "listeners", "policies", "routes", "shutdownGracePeriod", "admin", "expiryWarning", "verificationCache",
            "accessLog", "authenticators", "upstreams",
        ])

        guard let listenersNode = top["listeners"] else { throw root.error("listeners: at least one is required") }
        let listeners = try listenersNode.sequence().map(reader.listener)
        guard !listeners.isEmpty else { throw listenersNode.error("at least one listener is required") }
        try Self.checkNamesAreUnique(listeners, in: listenersNode)
        let policies = try top["policies"].map { try $0.namedEntries().map(reader.policy) } ?? []
        let defined = try top["authenticators"].map { try self.definedAuthenticators($0, reader: reader) } ?? []
        let authenticatorNames = self.authenticatorNames.union(defined.map(\.name))
        guard let routesNode = top["routes"] else { throw root.error("routes: at least one is required") }
        let routes = try routesNode.sequence().map(reader.route)
        let upstreams =
            try top["upstreams"].map { node in
                try node.namedEntries().map { try reader.upstream(name: $0.name, node: $0.node) }
            } ?? []

        let policyNames = Set(policies.map(\.name))
        for (node, route) in zip(try routesNode.sequence(), routes) {
            let entries = try node.mapping(allowed: ConfigurationReader.routeKeys)
            if let upstream = route.upstream {
                if !upstreams.contains(where: { $0.name == upstream }) {
                    let known =
                        upstreams.isEmpty
                        ? "none are defined" : "defined: " + upstreams.map(\.name).sorted().joined(separator: ", ")
                    throw entries["upstream"]!.error("unknown upstream '\(upstream)' (\(known))")
                }
            } else if !self.functionNames.contains(route.function) {
                let known = self.functionNames.sorted().joined(separator: ", ")
                throw entries["function"]!.error("unknown function '\(route.function)' (known: \(known))")
            }
            if let policy = route.policy, !policyNames.contains(policy) {
                let known =
                    policyNames.isEmpty
                    ? "none are defined" : "defined: " + policyNames.sorted().joined(separator: ", ")
                throw entries["policy"]!.error("unknown policy '\(policy)' (\(known))")
            }
            if let names = entries["listeners"] { try Self.checkListenerNames(names, exist: listeners) }
            if let names = entries["authenticators"] {
                try Self.checkAuthenticatorNames(names, known: authenticatorNames)
            }
        }
        let admin = try top["admin"].map { try reader.admin($0, policies: policyNames, listeners: listeners) }
        var trustForwarded: [Int: ForwardedCertificateTrust] = [:]
        for (index, node) in try listenersNode.sequence().enumerated() {
            let entries = try node.mapping(allowed: ConfigurationReader.listenerKeys)
            guard let trust = entries["trustForwardedClientCertificate"] else { continue }
            trustForwarded[index] = try reader.forwardedCertificateTrust(
                trust,
                listener: listeners[index],
                policies: policyNames
            )
        }
        var configuration = GatehouseConfiguration(
            file: file,
            listeners: listeners,
            policies: policies,
            routes: routes,
            shutdownGracePeriod: try top["shutdownGracePeriod"]?.duration() ?? .seconds(10),
            admin: admin,
            expiryWarning: try top["expiryWarning"].map(reader.expiryWarning)
                ?? GatehouseConfiguration.defaultExpiryWarning,
            verificationCache: try top["verificationCache"].map(reader.verificationCache) ?? VerificationCacheLimits(),
            accessLog: try top["accessLog"].map(reader.accessLog),
            authenticators: defined,
            trustForwardedClientCertificate: trustForwarded
        )
        configuration.upstreams = upstreams
        return configuration
    }
}

extension ConfigurationLoader {
    /// Two listeners may not share a name: the error names the second one's `name` key.
    private static func checkNamesAreUnique(_ listeners: [ListenerConfiguration], in node: ConfigNode) throws {
        var seen: [String: Int] = [:]
        for (index, listener) in listeners.enumerated() {
            guard let name = listener.name else { continue }
            if let first = seen[name] {
                let entry = try node.sequence()[index].mapping(allowed: ConfigurationReader.listenerKeys)
                throw entry["name"]!.error("'\(name)' is already the name of listeners[\(first)]")
            }
            seen[name] = index
        }
    }

    /// The `authenticators` the file defines; a name registered in code is taken, and the error names the entry.
    private func definedAuthenticators(_ node: ConfigNode, reader: ConfigurationReader) throws -> [NamedAuthenticator] {
        try node.namedEntries().map { name, entry in
            guard !self.authenticatorNames.contains(name) else {
                throw entry.error("'\(name)' is already the name of an authenticator registered in code")
            }
            return try reader.authenticator(name: name, node: entry)
        }
    }

    /// Every name in a route's `authenticators` must be registered: the error names the entry's line.
    private static func checkAuthenticatorNames(_ node: ConfigNode, known: Set<String>) throws {
        var entries: [ConfigNode] = []
        if case .scalar = node.node {
            entries = [node]
        } else {
            for step in try node.sequence() {
                if case .scalar = step.node { entries.append(step) } else { entries += try step.sequence() }
            }
        }
        for entry in entries {
            let name = try entry.string()
            guard !known.contains(name) else { continue }
            let names = known.isEmpty ? "none are registered" : "registered: " + known.sorted().joined(separator: ", ")
            throw entry.error("unknown authenticator '\(name)' (\(names))")
        }
    }

    /// Every name in a route's `listeners` must be a listener's name: the error names the entry.
    private static func checkListenerNames(_ node: ConfigNode, exist listeners: [ListenerConfiguration]) throws {
        let names = Set(listeners.compactMap(\.name))
        let entries: [ConfigNode]
        if case .scalar = node.node { entries = [node] } else { entries = try node.sequence() }
        for entry in entries {
            let name = try entry.string()
            guard !names.contains(name) else { continue }
            let known = names.isEmpty ? "no listener has a name" : "named: " + names.sorted().joined(separator: ", ")
            throw entry.error("unknown listener '\(name)' (\(known))")
        }
    }
}

/// `path` made absolute against `base`, with `~` expanded.
func absolutePath(_ path: String, relativeTo base: String) -> String {
    let expanded = (path as NSString).expandingTildeInPath
    if expanded.hasPrefix("/") { return (expanded as NSString).standardizingPath }
    return ((base as NSString).appendingPathComponent(expanded) as NSString).standardizingPath
}
