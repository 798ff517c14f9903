import GatehouseAuth

extension ConfigurationReader {
    static let ocspKeys: Set<String> = ["mode", "responder", "timeout", "cacheSize"]

    /// A policy's `ocsp` mapping: `{ mode: hardFail | softFail, responder: URL, timeout: 2s, cacheSize: 10000 }`.
    func ocsp(_ node: ConfigNode) throws -> OCSPConfiguration {
        let entries = try node.mapping(allowed: Self.ocspKeys)
        var ocsp = OCSPConfiguration()
        if let mode = entries["mode"] { ocsp.mode = try mode.choice(OCSPConfiguration.Mode.self) }
        if let responder = entries["responder"] {
            let url = try responder.string()
            guard url.lowercased().hasPrefix("http://") else {
                throw responder.error("must be an http:// URL (OCSP responses are signed; https is not supported)")
            }
            ocsp.responder = url
        }
        if let timeout = entries["timeout"] {
            ocsp.timeout = try timeout.duration(in: .milliseconds(10) ... .seconds(60))
        }
        if let size = entries["cacheSize"] { ocsp.cacheSize = try size.size(in: 1...1_000_000) }
        return ocsp
    }
}
