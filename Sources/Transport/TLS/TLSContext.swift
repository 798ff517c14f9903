import COpenSSL
public import GatehouseCertificates

// @unchecked: the SSL_CTX is configured in init and only read afterwards (SSL_new takes its own reference).
/// The OpenSSL context (`SSL_CTX`) for one listener or one client configuration.
///
/// Expensive: reads and parses the identity and every CA file. Build it at startup or on reload, never on an
/// event loop; then share it by every connection (it is immutable once built).
///
/// ```swift
/// let context = try TLSContext(server: TLSConfiguration(
///     identity: .pem(certificateChainFile: "pki/server.crt", privateKeyFile: "pki/server.key"),
///     clientCertificateMode: .request, trustedCAFiles: ["pki/ca.crt"]))
/// try channel.pipeline.syncOperations.addHandler(TLSHandler(context: context, role: .server))
/// ```
public final class TLSContext: @unchecked Sendable {
    /// Whether connections made from this context accept or initiate handshakes.
    public enum Role: Sendable, Hashable {
        /// Accepts handshakes.
        case server
        /// Initiates handshakes.
        case client
    }

    private let context: OpaquePointer  // SSL_CTX*, owned
    /// The role this context was built for.
    public let role: Role
    /// The client-certificate mode (always `.none` for a client context).
    public let clientCertificateMode: ClientCertificateMode
    /// The ALPN protocols, in order of preference (server) or offer (client).
    public let applicationProtocols: [String]
    /// The CAs peer chains are verified against, when any are configured.
    public let trustStore: TrustStore?
    /// Whether the peer's chain is verified (server: mode is not `.none`; client: `verifyServer`).
    package let verifiesPeer: Bool
    /// The client's SNI / verification name.
    package let serverName: String?
    /// ALPN in wire format (length-prefixed), for the select callback and `SSL_set_alpn_protos`.
    package let alpnWire: [UInt8]
    /// The verified-chain cache this server context verifies client chains through (`nil` when it verifies none),
    /// shared with the server's other contexts and its policies: a returning client's chain is not verified again.
    package let verifiedChains: VerifiedChainCache?
    /// The generation of this context's trust material (its trusted CAs, for TLS client authentication), under
    /// which its verifications are cached; `nil` when it verifies none.
    package let trustGeneration: TrustGeneration?
    /// The keys this server context seals and opens session tickets with (`nil` for a client context).
    let ticketKeys: SessionTicketKeyRing?

    /// The most certificates of a client's chain a server keeps and verifies (the leaf first, then the next
    /// ones as sent; the rest are dropped unread): the deepest chain a policy accepts (`maxChainDepth` 16) plus
    /// the leaf and the root.
    package static let maxPresentedCertificates = VerifiedChainCache.maxPresentedCertificates

    /// Builds a server context from a listener's settings.
    ///
    /// TLS 1.2 uses ECDHE with AES-GCM or ChaCha20-Poly1305 only; TLS 1.3 uses OpenSSL's default suites, the server
    /// preferring `TLS_AES_128_GCM_SHA256` (then AES-256-GCM, then ChaCha20-Poly1305) as for TLS 1.2.
    /// Renegotiation and compression are off; sessions resume from stateless tickets sealed with
    /// `sessionTicketKeyFile`'s keys (so a reload and another replica with the same file resume them while the trust
    /// material is the same) or with the context's own rotating keys. ALPN picks the server's first
    /// protocol the client offers; a client that offers only others gets the fatal `no_application_protocol`
    /// alert (RFC 7301 §3.2), one that offers none gets HTTP/1.1. A client Certificate message larger than
    /// `limits.maxClientCertificateChainSize` fails the handshake with an alert; of a chain, at most
    /// ``maxPresentedCertificates`` certificates are kept and verified.
    /// - Throws: ``TLSError/Code/invalidConfiguration`` naming the file or setting that failed.
    public convenience init(server configuration: TLSConfiguration, limits: ConnectionLimits = ConnectionLimits())
        throws
    {
        try self.init(server: configuration, limits: limits, verifiedChains: VerifiedChainCache())
    }

    /// Builds a server context that verifies client chains through `verifiedChains`, the server's one cache
    /// (shared with its other contexts, its policies and the contexts a reload builds).
    /// - Throws: ``TLSError/Code/invalidConfiguration`` naming the file or setting that failed.
    package init(
        server configuration: TLSConfiguration,
        limits: ConnectionLimits = ConnectionLimits(),
        verifiedChains: VerifiedChainCache
    ) throws {
        if configuration.clientCertificateMode == .require && configuration.trustedCAFiles.isEmpty {
            throw TLSError(.invalidConfiguration, "clientCertificate: require needs at least one trusted CA file")
        }
        let store: TrustStore? =
            configuration.clientCertificateMode == .none ? nil : try makeTrustStore(configuration.trustedCAFiles)
        self.context = try makeContext(TLS_server_method(), configuration.minimumVersion, configuration.maximumVersion)
        self.role = .server
        self.clientCertificateMode = configuration.clientCertificateMode
        self.applicationProtocols = configuration.applicationProtocols
        self.trustStore = store
        self.verifiesPeer = configuration.clientCertificateMode != .none
        self.serverName = nil
        self.alpnWire = try encodeALPN(configuration.applicationProtocols)
        self.verifiedChains = store == nil ? nil : verifiedChains
        // The handshake checks CA certificates for TLS client authentication (OpenSSL's `ssl_client` purpose).
        self.trustGeneration = store.map { TrustGeneration.of(trustedCAs: $0.certificates, purpose: .clientAuth) }
        let rotation = max(1, Int(configuration.ticketKeyRotation.components.seconds))
        self.ticketKeys =
            try configuration.sessionTicketKeyFile.map { try SessionTicketKeyRing(file: $0) }
            ?? SessionTicketKeyRing(rotatingEvery: rotation)

        try applyServerOptions(self.context)
        self.installSessionTickets(on: self.context, lifetime: rotation)
        _ = gatehouse_SSL_CTX_set_max_cert_list(self.context, max(1024, limits.maxClientCertificateChainSize))
        SSL_CTX_set_verify_depth(self.context, Int32(Self.maxPresentedCertificates - 2))
        try loadIdentity(configuration.identity, into: self.context)
        try self.installClientVerification(mode: configuration.clientCertificateMode, store: store)
        if !self.alpnWire.isEmpty {
            SSL_CTX_set_alpn_select_cb(self.context, alpnSelectCallback, Unmanaged.passUnretained(self).toOpaque())
        }
    }

    /// Builds a client context.
    /// - Throws: ``TLSError/Code/invalidConfiguration`` naming the file or setting that failed.
    public init(client configuration: TLSClientConfiguration) throws {
        let store = configuration.trustedCAFiles.isEmpty ? nil : try makeTrustStore(configuration.trustedCAFiles)
        self.context = try makeContext(TLS_client_method(), configuration.minimumVersion, configuration.maximumVersion)
        self.role = .client
        self.clientCertificateMode = .none
        self.applicationProtocols = configuration.applicationProtocols
        self.trustStore = store
        self.verifiesPeer = configuration.verifyServer
        self.serverName = configuration.serverName
        self.alpnWire = try encodeALPN(configuration.applicationProtocols)
        self.verifiedChains = nil
        self.trustGeneration = nil
        self.ticketKeys = nil

        try applyCommonOptions(self.context)
        if let identity = configuration.identity { try loadIdentity(identity, into: self.context) }
        if configuration.verifyServer {
            if let store {
                _ = store.withUnsafeStore { gatehouse_SSL_CTX_set1_verify_cert_store(self.context, $0) }
            } else {
                SSL_CTX_set_default_verify_paths(self.context)
            }
            SSL_CTX_set_verify(self.context, SSL_VERIFY_PEER, nil)
        } else {
            SSL_CTX_set_verify(self.context, SSL_VERIFY_NONE, nil)
        }
    }

    deinit { SSL_CTX_free(self.context) }

    /// Lends the `SSL_CTX*` to `body`; it must not be reconfigured, and must not escape.
    package func withUnsafeContext<Result>(_ body: (OpaquePointer) throws -> Result) rethrows -> Result {
        try body(self.context)
    }

    private func installClientVerification(mode: ClientCertificateMode, store: TrustStore?) throws {
        guard mode != .none, let store else {
            SSL_CTX_set_verify(self.context, SSL_VERIFY_NONE, nil)
            return
        }
        OpenSSLErrorQueue.clear()
        guard store.withUnsafeStore({ gatehouse_SSL_CTX_set1_verify_cert_store(self.context, $0) }) == 1 else {
            throw TLSError(.invalidConfiguration, "trusted CAs: \(OpenSSLErrorQueue.drain())")
        }
        if let names = store.makeClientCANameList() {
            SSL_CTX_set_client_CA_list(self.context, names)  // takes ownership
        }
        if self.verifiedChains != nil {
            // Every SSL* made from this context keeps it alive (TLSConnection), so the callback may borrow it.
            SSL_CTX_set_cert_verify_callback(
                self.context,
                cachedVerifyCallback,
                Unmanaged.passUnretained(self).toOpaque()
            )
        }
        switch mode {
        case .require:
            SSL_CTX_set_verify(self.context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nil)
        case .request, .none:
            // Keep the handshake going whatever the chain; SSL_get_verify_result keeps the real verdict.
            SSL_CTX_set_verify(self.context, SSL_VERIFY_PEER, acceptAnyCertificateCallback)
        }
    }
}

/// A verify callback that accepts every chain so `request` mode never fails the handshake.
private let acceptAnyCertificateCallback: @convention(c) (Int32, OpaquePointer?) -> Int32 = { _, _ in 1 }

/// Verifies a client chain through the context's ``VerifiedChainCache`` (instead of `X509_verify_cert`).
private let cachedVerifyCallback: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?) -> Int32 = {
    storeContext,
    argument in
    guard let storeContext, let argument else { return 0 }
    let context = Unmanaged<TLSContext>.fromOpaque(argument).takeUnretainedValue()
    guard let cache = context.verifiedChains, let generation = context.trustGeneration else { return 0 }
    let untrusted = X509_STORE_CTX_get0_untrusted(storeContext)
    if let untrusted { gatehouse_sk_X509_truncate(untrusted, Int32(TLSContext.maxPresentedCertificates)) }
    let verification = cache.verifyHandshake(
        storeContext: storeContext,
        generation: generation,
        failsOnError: context.clientCertificateMode == .require
    )
    let result = verification.result
    // The untrusted stack becomes the session's peer chain: hand the chain (its entry's, when it has one) to the
    // connection and leave the session (which every ticket issued for it carries) only the leaf.
    if let untrusted, let connection = connection(of: storeContext) {
        connection.verifiedChain = verification.entry
        connection.presentedChain = verification.entry?.presented == nil ? certificates(of: untrusted) : nil
        gatehouse_sk_X509_truncate(untrusted, 1)
    }
    // A chain the handshake goes on with (`request` mode accepts every verdict) can leave errors on the queue, e.g.
    // a signature that does not verify with a trusted CA's key; OpenSSL's `SSL_get_error` reads any queued error as
    // a failure of the handshake, which would then end without an alert. The verdict is in the store context.
    if result == 1 { OpenSSLErrorQueue.clear() }
    return result
}

/// The certificates of `stack` (a `STACK_OF(X509)*`, leaf first) as new ``Certificate`` objects.
private func certificates(of stack: OpaquePointer) -> [Certificate] {
    (0..<gatehouse_sk_X509_num(stack)).compactMap {
        gatehouse_sk_X509_value(stack, $0).map { Certificate(copying: $0) }
    }
}

/// The ``TLSConnection`` whose handshake `storeContext` verifies, when it is one (not a verification of its own).
private func connection(of storeContext: OpaquePointer) -> TLSConnection? {
    guard let ssl = X509_STORE_CTX_get_ex_data(storeContext, SSL_get_ex_data_X509_STORE_CTX_idx()) else { return nil }
    return serverConnection(of: OpaquePointer(ssl))
}

/// Picks the server's most preferred protocol among the client's offers; no overlap → the fatal
/// `no_application_protocol` alert (RFC 7301 §3.2). A client that offers none is not asked (HTTP/1.1).
private let alpnSelectCallback:
    @convention(c) (
        OpaquePointer?, UnsafeMutablePointer<UnsafePointer<UInt8>?>?, UnsafeMutablePointer<UInt8>?,
        UnsafePointer<UInt8>?, UInt32, UnsafeMutableRawPointer?
    ) -> Int32 = { _, out, outLength, offered, offeredLength, argument in
        guard let out, let outLength, let offered, let argument else { return SSL_TLSEXT_ERR_ALERT_FATAL }
        let context = Unmanaged<TLSContext>.fromOpaque(argument).takeUnretainedValue()
        let client = UnsafeBufferPointer(start: offered, count: Int(offeredLength))
        guard let (start, length) = selectALPN(serverWire: context.alpnWire, clientWire: client) else {
            return SSL_TLSEXT_ERR_ALERT_FATAL
        }
        out.pointee = offered + start  // points into the ClientHello buffer, valid for the callback's caller
        outLength.pointee = length
        return SSL_TLSEXT_ERR_OK
    }

/// The offset and length, within `clientWire`, of the first server protocol the client offers.
private func selectALPN(serverWire: [UInt8], clientWire: UnsafeBufferPointer<UInt8>) -> (Int, UInt8)? {
    var server = 0
    while server < serverWire.count {
        let serverLength = Int(serverWire[server])
        let wanted = serverWire[(server + 1)..<(server + 1 + serverLength)]
        var client = 0
        while client < clientWire.count {
            let clientLength = Int(clientWire[client])
            guard client + 1 + clientLength <= clientWire.count else { break }
            if clientLength == serverLength
                && clientWire[(client + 1)..<(client + 1 + clientLength)].elementsEqual(wanted)
            {
                return (client + 1, UInt8(clientLength))
            }
            client += 1 + clientLength
        }
        server += 1 + serverLength
    }
    return nil
}
