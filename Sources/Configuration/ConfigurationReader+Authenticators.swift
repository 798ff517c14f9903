import GatehouseBoundToken

extension ConfigurationReader {
    /// The keys of a `type: boundToken` entry.
    static let boundTokenKeys: Set<String> = ["type", "jwks", "issuer", "audience", "leeway", "maxTokenSize"]

    /// One entry of `authenticators`.
    func authenticator(name: String, node: ConfigNode) throws -> NamedAuthenticator {
        let entries = try node.mapping(allowed: Self.boundTokenKeys)
        guard let type = entries["type"] else { throw node.error("type: required (boundToken)") }
        guard try type.string() == "boundToken" else {
            throw type.error("'\(try type.string())' is not a type of authenticator (boundToken)")
        }
        guard let jwks = entries["jwks"] else { throw node.error("jwks: required (the issuer's JWKS file)") }
        guard let issuerNode = entries["issuer"] else { throw node.error("issuer: required") }
        let issuer = try issuerNode.string()
        guard !issuer.isEmpty else { throw issuerNode.error("must not be empty") }
        guard let audienceNode = entries["audience"] else { throw node.error("audience: required (one or a list)") }
        let audiences = try audienceNode.strings()
        guard !audiences.isEmpty, !audiences.contains("") else {
            throw audienceNode.error("name at least one audience, none empty")
        }
        var configuration = BoundTokenConfiguration(
            jwks: try self.existingPath(jwks),
            issuer: issuer,
            audiences: audiences
        )
        if let leeway = entries["leeway"] { configuration.leeway = try leeway.duration(in: .zero ... .seconds(300)) }
        if let size = entries["maxTokenSize"] { configuration.maxTokenSize = try size.size(in: 1024...65_536) }
        return NamedAuthenticator(name: name, definition: .boundToken(configuration), keyPath: node.keyPath)
    }
}
