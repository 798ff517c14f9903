import COpenSSL
import GatehouseCertificates

/// The TLS 1.2 cipher list: forward-secret AEAD suites only.
private let tls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    + "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

/// The TLS 1.3 suites a server picks from, in its order: OpenSSL's three defaults, AES-128-GCM first (as the TLS 1.2
/// list): its SHA-256 transcript and key schedule cost less than AES-256-GCM's SHA-384, on every handshake.
private let tls13Suites = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"

/// Identifies this server's sessions so tickets (with client certificates) can be resumed.
private let sessionIDContext: [UInt8] = Array("gatehouse".utf8)

/// Creates an `SSL_CTX` with the version range set.
func makeContext(_ method: OpaquePointer?, _ minimum: TLSVersion, _ maximum: TLSVersion) throws -> OpaquePointer {
    guard minimum <= maximum else {
        throw TLSError(
            .invalidConfiguration,
            "minimumVersion \(minimum.rawValue) is above maximumVersion \(maximum.rawValue)"
        )
    }
    OpenSSLErrorQueue.clear()
    guard let context = SSL_CTX_new(method) else {
        throw TLSError(.invalidConfiguration, "SSL_CTX_new: \(OpenSSLErrorQueue.drain())")
    }
    guard gatehouse_SSL_CTX_set_min_proto_version(context, minimum.openSSLValue) == 1,
        gatehouse_SSL_CTX_set_max_proto_version(context, maximum.openSSLValue) == 1
    else {
        SSL_CTX_free(context)
        throw TLSError(.invalidConfiguration, "TLS versions: \(OpenSSLErrorQueue.drain())")
    }
    return context
}

/// Ciphers, groups and options shared by both roles.
func applyCommonOptions(_ context: OpaquePointer) throws {
    OpenSSLErrorQueue.clear()
    SSL_CTX_set_options(context, gatehouse_SSL_OP_NO_RENEGOTIATION() | gatehouse_SSL_OP_NO_COMPRESSION())
    // Free the 16 KiB read and write record buffers whenever they are empty: an idle connection keeps neither.
    _ = gatehouse_SSL_CTX_set_mode(context, Int(SSL_MODE_RELEASE_BUFFERS))
    guard SSL_CTX_set_cipher_list(context, tls12Ciphers) == 1 else {
        throw TLSError(.invalidConfiguration, "cipher list: \(OpenSSLErrorQueue.drain())")
    }
    guard gatehouse_SSL_CTX_set1_groups_list(context, "X25519:P-256:P-384") == 1 else {
        throw TLSError(.invalidConfiguration, "groups: \(OpenSSLErrorQueue.drain())")
    }
}

/// Server-only options: our cipher and TLS 1.3 suite order, and resumption from stateless session tickets only.
///
/// The server keeps no session: its cache is off (so TLS 1.2 resumes from tickets too, not session IDs), and each
/// ticket carries the session, sealed by the context's ticket keys (``TLSContext/installSessionTickets(on:lifetime:)``).
/// A TLS 1.3 ticket carries a verified client's leaf in Gatehouse's binding, not in OpenSSL's session, which OpenSSL
/// 3.0 would decode from every ticket it seals or opens (the verify callback leaves the session only the leaf, and
/// the ticket callback takes that out too). One ticket per full handshake (OpenSSL's default is two; a resumption
/// always gets one).
func applyServerOptions(_ context: OpaquePointer) throws {
    try applyCommonOptions(context)
    SSL_CTX_set_options(context, gatehouse_SSL_OP_CIPHER_SERVER_PREFERENCE())
    guard SSL_CTX_set_ciphersuites(context, tls13Suites) == 1 else {
        throw TLSError(.invalidConfiguration, "TLS 1.3 suites: \(OpenSSLErrorQueue.drain())")
    }
    _ = gatehouse_SSL_CTX_set_session_cache_mode(context, Int(SSL_SESS_CACHE_OFF))
    _ = SSL_CTX_set_num_tickets(context, 1)
    guard SSL_CTX_set_session_id_context(context, sessionIDContext, UInt32(sessionIDContext.count)) == 1 else {
        throw TLSError(.invalidConfiguration, "session id context: \(OpenSSLErrorQueue.drain())")
    }
}

/// Installs the certificate chain and key; checks that they belong together. An error names the file and the
/// configuration key it came from.
func loadIdentity(_ identity: TLSIdentity, into context: OpaquePointer) throws {
    let chain: [Certificate]
    let key: PrivateKey
    let source: String
    let keySetting: String
    let mismatch: String
    switch identity {
    case .pem(let chainFile, let keyFile):
        source = chainFile
        keySetting = "privateKey"
        mismatch = "\(keyFile): the private key does not match the certificate in \(chainFile)"
        chain = try settingUp("certificate") { try Certificate.loadChain(pemFile: chainFile) }
        key = try settingUp("privateKey") { try PrivateKey(pemFile: keyFile) }
    case .pkcs12(let file, let password):
        source = file
        keySetting = "pkcs12"
        mismatch = "\(file): the private key does not match the certificate"
        let bundle = try settingUp("pkcs12") { try PKCS12Bundle.load(file: file, password: password) }
        // PKCS#12 files often carry the root too; sending it is harmless but wasteful, so drop self-issued CAs.
        chain = [bundle.certificate] + bundle.chain.filter { !$0.isSelfIssued }
        key = bundle.key
    }
    guard key.matches(chain[0]) else {
        throw TLSError(.invalidConfiguration, "\(mismatch) (\(chain[0].subject))").about(keySetting)
    }
    OpenSSLErrorQueue.clear()
    guard chain[0].withUnsafeX509({ SSL_CTX_use_certificate(context, $0) }) == 1,
        key.withUnsafeEVPKey({ SSL_CTX_use_PrivateKey(context, $0) }) == 1,
        SSL_CTX_check_private_key(context) == 1
    else {
        throw TLSError(.invalidConfiguration, "\(source): \(OpenSSLErrorQueue.drain())").about(keySetting)
    }
    for intermediate in chain.dropFirst() {
        let added = intermediate.withUnsafeX509 { x509 in
            X509_up_ref(x509)  // add_extra_chain_cert takes ownership of one reference
            return gatehouse_SSL_CTX_add_extra_chain_cert(context, x509)
        }
        guard added == 1 else {
            throw TLSError(.invalidConfiguration, "\(source): \(OpenSSLErrorQueue.drain())").about(keySetting)
        }
    }
}

/// Runs `body`, which reads the file behind the configuration's `key`; a ``CertificateError`` becomes an
/// ``TLSError/Code/invalidConfiguration`` about that key, with the error's detail (the file and what is wrong).
private func settingUp<Result>(_ key: String, _ body: () throws -> Result) throws -> Result {
    do {
        return try body()
    } catch let error as CertificateError {
        throw TLSError(.invalidConfiguration, error.detail).about(key)
    }
}

/// Reads the CA files into a trust store, mapping file errors to configuration errors.
func makeTrustStore(_ files: [String]) throws -> TrustStore {
    try settingUp("trustedCAs") { try TrustStore(caFiles: files) }
}

/// ALPN protocol names in wire format: each one length-prefixed.
func encodeALPN(_ protocols: [String]) throws -> [UInt8] {
    var wire: [UInt8] = []
    for name in protocols {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.count < 256 else {
            throw TLSError(.invalidConfiguration, "applicationProtocols: invalid protocol name \"\(name)\"")
        }
        wire.append(UInt8(bytes.count))
        wire.append(contentsOf: bytes)
    }
    return wire
}

extension TLSVersion {
    var openSSLValue: Int32 {
        switch self {
        case .v1_2: TLS1_2_VERSION
        case .v1_3: TLS1_3_VERSION
        }
    }
}
