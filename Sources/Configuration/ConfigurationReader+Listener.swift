import Foundation
import GatehouseCertificates
import GatehouseTransport

extension ConfigurationReader {
    static let listenerKeys: Set<String> = [
        "name", "host", "port", "protocols", "tls", "limits", "trustForwardedClientCertificate",
    ]
    static let tlsKeys: Set<String> = [
        "certificate", "privateKey", "pkcs12", "password", "passwordFile", "clientCertificate", "trustedCAs",
        "sessionTicketKeyFile", "ticketKeyRotation",
    ]
    static let limitKeys: Set<String> = [
        "maxHeaderListSize", "maxBodySize", "handshakeTimeout", "requestHeadTimeout", "requestBodyTimeout",
        "idleTimeout", "maxConcurrentStreams", "maxConnections", "maxClientCertificateChainSize",
        "maxBufferedBodyBytesPerConnection", "maxPendingOutputBytes", "maxUnreadStreamedBodyBytes",
        "maxQueuedResponseBytesPerStream",
    ]

    /// One `listeners` entry.
    func listener(_ node: ConfigNode) throws -> ListenerConfiguration {
        let entries = try node.mapping(allowed: Self.listenerKeys)
        let name = try entries["name"].map(self.listenerName)
        let host = try entries["host"]?.string() ?? "127.0.0.1"
        let port = try entries["port"]?.int() ?? 8443
        guard (0...65535).contains(port) else { throw entries["port"]!.error("must be between 0 and 65535") }
        guard let tlsNode = entries["tls"] else { throw node.error("tls: required (Gatehouse serves TLS only)") }
        var tls = try self.tls(tlsNode)
        if let protocols = entries["protocols"] {
            let names = try protocols.strings()
            let unknown = names.filter { $0 != "h2" && $0 != "http/1.1" }
            guard unknown.isEmpty, !names.isEmpty else { throw protocols.error("expected a list of h2 and http/1.1") }
            tls.applicationProtocols = names
        }
        let limits = try entries["limits"].map { try self.limits($0) } ?? ConnectionLimits()
        return ListenerConfiguration(name: name, host: host, port: port, tls: tls, limits: limits)
    }

    /// A listener's `name`: letters, digits, `-`, `_` and `.`, as routes' `listeners:` write it.
    func listenerName(_ node: ConfigNode) throws -> String {
        let name = try node.string()
        let allowed = name.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
                || "-_.".unicodeScalars.contains($0)
        }
        guard !name.isEmpty, allowed else { throw node.error("'\(name)': use letters, digits, '-', '_' and '.'") }
        return name
    }

    /// A `tls` entry: a listener's, or the admin listener's.
    func tls(_ node: ConfigNode) throws -> TLSConfiguration {
        let entries = try node.mapping(allowed: Self.tlsKeys)
        let identity: TLSIdentity
        if let pkcs12 = entries["pkcs12"] {
            guard entries["certificate"] == nil, entries["privateKey"] == nil else {
                throw pkcs12.error("give either pkcs12 or certificate and privateKey, not both")
            }
            identity = .pkcs12(file: try self.existingPath(pkcs12), password: try self.password(entries, in: node))
        } else {
            guard let certificate = entries["certificate"] else {
                throw node.error("certificate (or pkcs12): required")
            }
            guard let key = entries["privateKey"] else { throw node.error("privateKey: required with certificate") }
            if let stray = entries["password"] ?? entries["passwordFile"] {
                throw stray.error("goes with pkcs12 (a PEM privateKey is read unencrypted)")
            }
            let keyFile = try self.existingPath(key)
            try self.checkNotEncrypted(keyFile, key)
            identity = .pem(certificateChainFile: try self.existingPath(certificate), privateKeyFile: keyFile)
        }
        let mode = try entries["clientCertificate"]?.choice(ClientCertificateMode.self) ?? .request
        let trustedCAs = try self.existingPaths(entries["trustedCAs"])
        if mode == .require && trustedCAs.isEmpty {
            throw (entries["clientCertificate"] ?? node).error(
                "require needs trustedCAs to verify client chains against"
            )
        }
        var tls = TLSConfiguration(identity: identity, clientCertificateMode: mode, trustedCAFiles: trustedCAs)
        try self.sessionTickets(entries, into: &tls)
        return tls
    }

    /// `sessionTicketKeyFile` (a file of nginx-format keys, checked when the listener's context is built) and
    /// `ticketKeyRotation` (1m to 24h; the default 1h).
    private func sessionTickets(_ entries: [String: ConfigNode], into tls: inout TLSConfiguration) throws {
        if let file = entries["sessionTicketKeyFile"] { tls.sessionTicketKeyFile = try self.existingPath(file) }
        if let rotation = entries["ticketKeyRotation"] {
            tls.ticketKeyRotation = try rotation.duration(in: .seconds(60) ... .seconds(24 * 3600))
        }
    }

    /// The PKCS#12 password from `password` (may use `${ENV}`) or `passwordFile` (its first line).
    private func password(_ entries: [String: ConfigNode], in node: ConfigNode) throws -> String {
        switch (entries["password"], entries["passwordFile"]) {
        case (let password?, nil):
            return try password.string()
        case (nil, let file?):
            let path = try self.existingPath(file)
            do {
                return try readPasswordFile(path)
            } catch let error as CertificateError {
                throw file.error(error.detail)
            }
        case (nil, nil):
            return ""
        case (_?, _?):
            throw node.error("give password or passwordFile, not both")
        }
    }

    /// An encrypted PEM key is an error at `privateKey` naming the file: Gatehouse takes no password for a PEM key
    /// and never prompts for one.
    private func checkNotEncrypted(_ keyFile: String, _ node: ConfigNode) throws {
        guard PrivateKey.isEncryptedPEM(file: keyFile) else { return }
        throw node.error(
            "\(keyFile): the private key is encrypted; decrypt it (openssl pkey -in KEY -out PLAIN.key, mode 0600) "
                + "or use pkcs12 with passwordFile"
        )
    }

    static let verificationCacheKeys: Set<String> = ["maxEntries", "maxBytes"]

    /// The top-level `verificationCache`: the bounds of the one cache of verified client chains that every
    /// listener and policy shares.
    func verificationCache(_ node: ConfigNode) throws -> VerificationCacheLimits {
        let entries = try node.mapping(allowed: Self.verificationCacheKeys)
        var limits = VerificationCacheLimits()
        if let entry = entries["maxEntries"] {
            limits.maxEntries = try entry.int()
            guard (1...10_000_000).contains(limits.maxEntries) else {
                throw entry.error("must be between 1 and 10000000")
            }
        }
        if let entry = entries["maxBytes"] { limits.maxBytes = try entry.size(in: (64 << 10)...(16 << 30)) }
        return limits
    }

    /// A `limits` entry; what it does not set keeps its value in `defaults`.
    func limits(_ node: ConfigNode, defaults: ConnectionLimits = ConnectionLimits()) throws -> ConnectionLimits {
        let entries = try node.mapping(allowed: Self.limitKeys)
        var limits = defaults
        func size(_ key: String, _ range: ClosedRange<Int>, _ field: WritableKeyPath<ConnectionLimits, Int>) throws {
            if let entry = entries[key] { limits[keyPath: field] = try entry.size(in: range) }
        }
        func duration(_ key: String, _ field: WritableKeyPath<ConnectionLimits, Duration>) throws {
            if let entry = entries[key] { limits[keyPath: field] = try entry.duration() }
        }
        try size("maxHeaderListSize", 1024...(1 << 20), \.maxHeaderListSize)
        try size("maxBodySize", 0...(1 << 30), \.maxBodySize)
        try size("maxConcurrentStreams", 1...10_000, \.maxConcurrentStreams)
        try size("maxConnections", 1...1_000_000, \.maxConnections)
        try size("maxClientCertificateChainSize", 1024...(1 << 20), \.maxClientCertificateChainSize)
        try size("maxBufferedBodyBytesPerConnection", (64 << 10)...(1 << 30), \.maxBufferedBodyBytesPerConnection)
        try size("maxPendingOutputBytes", (16 << 10)...(1 << 30), \.maxPendingOutputBytes)
        try size("maxUnreadStreamedBodyBytes", (16 << 10)...(1 << 30), \.maxUnreadStreamedBodyBytes)
        try size("maxQueuedResponseBytesPerStream", (16 << 10)...(1 << 30), \.maxQueuedResponseBytesPerStream)
        try duration("handshakeTimeout", \.handshakeTimeout)
        try duration("requestHeadTimeout", \.requestHeadTimeout)
        try duration("requestBodyTimeout", \.requestBodyTimeout)
        try duration("idleTimeout", \.idleTimeout)
        return limits
    }
}
