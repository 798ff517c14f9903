import GatehouseGateway

/// The `upstreams:` section: where gateway routes forward to.
extension ConfigurationReader {
    static let upstreamKeys: Set<String> = [
        "url", "tls", "protocols", "connectTimeout", "responseTimeout", "maxConnections", "maxWaitingRequests",
        "forwardClientCertificate", "maxResponseBodySize",
    ]
    static let upstreamTLSKeys: Set<String> = ["trustedCAs", "certificate", "privateKey", "serverName"]

    /// One `upstreams` entry.
    func upstream(name: String, node: ConfigNode) throws -> UpstreamConfiguration {
        let entries = try node.mapping(allowed: Self.upstreamKeys)
        guard let urlNode = entries["url"] else { throw node.error("url: required") }
        let url: UpstreamURL
        do {
            url = try UpstreamURL(try urlNode.string())
        } catch let error as UpstreamURLError {
            throw urlNode.error(error.description)
        }
        var upstream = UpstreamConfiguration(name: name, url: url, keyPath: node.keyPath)
        if let tls = entries["tls"] {
            guard url.isSecure else {
                throw tls.error("tls applies to https upstreams only; \(url) is plaintext http")
            }
            upstream.tls = try self.upstreamTLS(tls)
        }
        if let protocols = entries["protocols"] {
            let names = try protocols.strings()
            guard !names.isEmpty else { throw protocols.error("name h2, http/1.1 or both") }
            if let unknown = names.first(where: { $0 != "h2" && $0 != "http/1.1" }) {
                throw protocols.error("'\(unknown)' is not a protocol (h2 | http/1.1)")
            }
            upstream.protocols = names
        }
        if let timeout = entries["connectTimeout"] { upstream.connectTimeout = try timeout.duration() }
        if let timeout = entries["responseTimeout"] { upstream.responseTimeout = try timeout.duration() }
        if let count = entries["maxConnections"] { upstream.maxConnections = try count.size(in: 1...100_000) }
        if let count = entries["maxWaitingRequests"] {
            upstream.maxWaitingRequests = try count.size(in: 0...1_000_000)
        }
        if let format = entries["forwardClientCertificate"] {
            upstream.forwardClientCertificate = try format.choice(
                UpstreamConfiguration.ClientCertificateForwarding.self
            )
        }
        if let size = entries["maxResponseBodySize"] { upstream.maxResponseBodySize = try size.size(in: 0...(1 << 40)) }
        return upstream
    }

    private func upstreamTLS(_ node: ConfigNode) throws -> UpstreamConfiguration.TLS {
        let entries = try node.mapping(allowed: Self.upstreamTLSKeys)
        var tls = UpstreamConfiguration.TLS(trustedCAs: try self.existingPaths(entries["trustedCAs"]))
        tls.certificate = try entries["certificate"].map { try self.existingPath($0) }
        tls.privateKey = try entries["privateKey"].map { try self.existingPath($0) }
        if tls.certificate != nil && tls.privateKey == nil { throw node.error("certificate needs privateKey") }
        if tls.privateKey != nil && tls.certificate == nil { throw node.error("privateKey needs certificate") }
        tls.serverName = try entries["serverName"].map { try $0.string() }
        return tls
    }

    /// A route's `stripPrefix`: a path that starts with `/` (a trailing `/` is ignored).
    func stripPrefix(_ node: ConfigNode) throws -> String {
        let prefix = try node.string()
        guard prefix.hasPrefix("/") else { throw node.error("must start with /") }
        return prefix
    }
}
