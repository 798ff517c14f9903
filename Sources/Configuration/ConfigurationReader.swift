import Foundation
import GatehouseTransport
import HTTPTypes
import Yams

/// Turns configuration nodes into typed values; paths resolve against ``baseDirectory``.
struct ConfigurationReader {
    let baseDirectory: String

    static let routeKeys: Set<String> = [
        "path", "methods", "function", "policy", "authenticators", "listeners", "upstream", "stripPrefix",
    ]

    /// A path from `node`, made absolute; it must exist (as a file, or a folder when `allowDirectory`).
    func existingPath(_ node: ConfigNode, allowDirectory: Bool = false) throws -> String {
        let path = absolutePath(try node.string(), relativeTo: self.baseDirectory)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw node.error("no such file: \(path)")
        }
        if isDirectory.boolValue && !allowDirectory { throw node.error("expected a file, found a folder: \(path)") }
        guard FileManager.default.isReadableFile(atPath: path) else { throw node.error("cannot read \(path)") }
        return path
    }

    /// A list of existing files or folders.
    func existingPaths(_ node: ConfigNode?) throws -> [String] {
        guard let node else { return [] }
        if case .scalar = node.node { return [try self.existingPath(node, allowDirectory: true)] }
        return try node.sequence().map { try self.existingPath($0, allowDirectory: true) }
    }

    /// One `routes` entry.
    func route(_ node: ConfigNode) throws -> RouteConfiguration {
        let entries = try node.mapping(allowed: Self.routeKeys)
        guard let path = entries["path"] else { throw node.error("path: required") }
        let function = entries["function"]
        let upstream = entries["upstream"]
        if function != nil && upstream != nil {
            throw upstream!.error("a route names a function or an upstream, not both")
        }
        guard function != nil || upstream != nil else { throw node.error("function: required (or upstream:)") }
        if let strip = entries["stripPrefix"], upstream == nil {
            throw strip.error("stripPrefix applies to upstream routes only")
        }
        let methods =
            try entries["methods"].map { list in
                try list.strings().map { name -> HTTPRequest.Method in
                    guard let method = HTTPRequest.Method(name.uppercased()) else {
                        throw list.error("'\(name)' is not a method")
                    }
                    return method
                }
            } ?? [.get]
        let pathText = try path.string()
        guard pathText.hasPrefix("/") else { throw path.error("must start with /") }
        var route = RouteConfiguration(
            path: pathText,
            methods: methods,
            function: try function?.string() ?? "",
            policy: try entries["policy"]?.string(),
            authenticators: try entries["authenticators"].map(self.routeAuthenticators) ?? [],
            listeners: try entries["listeners"].map(self.routeListeners),
            keyPath: node.keyPath
        )
        route.upstream = try upstream?.string()
        route.stripPrefix = try entries["stripPrefix"].map(self.stripPrefix)
        return route
    }

    /// A route's `authenticators`: a name, or a list whose entries are a name (that authenticator must
    /// authenticate) or a list of names (the first of them that authenticates will do).
    func routeAuthenticators(_ node: ConfigNode) throws -> [[String]] {
        if case .scalar = node.node { return [[try node.string()]] }
        let steps = try node.sequence().map { step -> [String] in
            if case .scalar = step.node { return [try step.string()] }
            let names = try step.sequence().map { try $0.string() }
            guard !names.isEmpty else { throw step.error("name at least one authenticator") }
            return names
        }
        guard !steps.isEmpty else { throw node.error("name at least one authenticator, or leave the key out") }
        return steps
    }

    /// A route's `listeners`: the names of the listeners it is served on (a name, or a list of at least one).
    private func routeListeners(_ node: ConfigNode) throws -> [String] {
        let names = try node.strings()
        guard !names.isEmpty else {
            throw node.error("name at least one listener, or leave the key out to serve on every listener")
        }
        return names
    }
}
