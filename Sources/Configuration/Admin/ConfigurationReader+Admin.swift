import GatehouseTransport

extension ConfigurationReader {
    static let adminKeys: Set<String> = ["host", "port", "tls", "policy", "allowInsecure", "limits"]

    /// The top-level `admin` entry, checked against the policies defined in the file and the listeners' addresses.
    func admin(
        _ node: ConfigNode,
        policies: Set<String>,
        listeners: [ListenerConfiguration]
    ) throws -> AdminConfiguration {
        let entries = try node.mapping(allowed: Self.adminKeys)
        var admin = AdminConfiguration()
        if let host = entries["host"] {
            admin.host = try host.string()
            guard !admin.host.isEmpty else { throw host.error("must not be empty") }
        }
        if let port = entries["port"] {
            admin.port = try port.int()
            guard (0...65535).contains(admin.port) else { throw port.error("must be between 0 and 65535") }
        }
        if admin.port != 0,
            let index = listeners.firstIndex(where: { $0.port == admin.port && $0.host == admin.host })
        {
            throw (entries["port"] ?? node).error("listeners[\(index)] already listens on \(admin.address)")
        }
        if let tls = entries["tls"] {
            var configuration = try self.tls(tls)
            configuration.applicationProtocols = ["http/1.1"]
            admin.tls = configuration
        }
        if let policy = entries["policy"] {
            let name = try policy.string()
            guard policies.contains(name) else {
                let known =
                    policies.isEmpty ? "none are defined" : "defined: " + policies.sorted().joined(separator: ", ")
                throw policy.error("unknown policy '\(name)' (\(known))")
            }
            guard admin.tls != nil else {
                throw policy.error("a policy checks client certificates, which need tls: on the admin listener")
            }
            admin.policy = name
        }
        if let insecure = entries["allowInsecure"] { admin.allowInsecure = try insecure.bool() }
        if let limits = entries["limits"] {
            // The admin listener's own defaults stand for what `limits:` does not set.
            admin.limits = try self.limits(limits, defaults: AdminConfiguration.defaultLimits)
        }
        guard admin.isLoopback || admin.allowInsecure || (admin.tls != nil && admin.policy != nil) else {
            let problem =
                admin.tls == nil
                ? "'\(admin.host)' is not a loopback address: the admin listener serves metrics that name clients; "
                    + "give it tls: with a policy:, or set allowInsecure: true"
                : "'\(admin.host)' is not a loopback address: give the admin listener a policy: for its client "
                    + "certificates, or set allowInsecure: true"
            throw (entries["host"] ?? node).error(problem)
        }
        return admin
    }

    /// The top-level `expiryWarning`: a duration up to a year (`14d`, `336h`); `0` turns the warnings off.
    func expiryWarning(_ node: ConfigNode) throws -> Duration {
        try node.duration(in: .zero ... .seconds(366 * 86_400))
    }
}
