import COpenSSL
public import Foundation

/// Which certificates of a chain must be checked against CRLs.
public enum RevocationCheck: Sendable, Hashable {
    /// No revocation check.
    case none
    /// The leaf only (`X509_V_FLAG_CRL_CHECK`).
    case leaf
    /// Every certificate of the chain (`X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL`).
    case wholeChain
}

/// How ``TrustStore/verifyChain(_:untrusted:options:)`` verifies.
public struct ChainVerificationOptions: Sendable {
    /// The time to check validity at; `nil` for now.
    public var time: Date?
    /// The EKU to require of the leaf; ``VerifyPurpose/any`` leaves it to the caller.
    public var purpose: VerifyPurpose
    /// CRLs for this verification (the store itself is never changed).
    public var crls: [CertificateRevocationList]
    /// Which certificates must not be revoked by ``crls``.
    public var revocation: RevocationCheck
    /// Whether the leaf's own validity period is checked. CA certificates' and CRLs' times always are:
    /// this is a verify callback that forgives only the leaf's time errors, not `X509_V_FLAG_NO_CHECK_TIME`,
    /// which would skip every time check in the chain.
    public var checksLeafValidity: Bool
    /// Whether the leaf's own purpose (its extendedKeyUsage) is checked for ``purpose``. CA certificates' purpose
    /// always is, so an intermediate limited to other purposes fails the chain; turn it off when the caller
    /// judges the leaf's usage itself.
    public var checksLeafPurpose: Bool
    /// The most intermediate CA certificates between the leaf and the trust anchor; `nil` for OpenSSL's default.
    public var maxIntermediates: Int?

    /// Options: now, no purpose, no CRLs, leaf validity checked, OpenSSL's depth limit.
    public init(
        time: Date? = nil,
        purpose: VerifyPurpose = .any,
        crls: [CertificateRevocationList] = [],
        revocation: RevocationCheck = .none,
        checksLeafValidity: Bool = true,
        checksLeafPurpose: Bool = true,
        maxIntermediates: Int? = nil
    ) {
        self.time = time
        self.purpose = purpose
        self.crls = crls
        self.revocation = revocation
        self.checksLeafValidity = checksLeafValidity
        self.checksLeafPurpose = checksLeafPurpose
        self.maxIntermediates = maxIntermediates
    }
}

/// The outcome of a chain verification: OpenSSL's verdict and, when it verified, the chain it built.
public struct ChainVerification: Sendable {
    /// OpenSSL's verdict.
    public let result: CertificateVerifyResult
    /// The depth of the certificate the error is about (0 is the leaf); 0 when it verified.
    public let errorDepth: Int
    /// The verified chain, leaf first, trust anchor last (`X509_STORE_CTX_get1_chain`); empty on failure.
    public let chain: [Certificate]
}

extension TrustStore {
    /// Verifies `chain` against the trusted CAs with `X509_verify_cert`.
    ///
    /// Safe to call from several threads at once: each call uses its own `X509_STORE_CTX`.
    /// - Parameters:
    ///   - chain: the leaf first, then any intermediates the peer sent (untrusted).
    ///   - untrusted: more intermediates to build the path with (e.g. configured ones).
    ///   - options: time, CRLs, revocation scope, leaf validity and depth.
    public func verifyChain(
        _ chain: [Certificate],
        untrusted: [Certificate] = [],
        options: ChainVerificationOptions = ChainVerificationOptions()
    ) -> ChainVerification {
        guard let leaf = chain.first else { return failure(X509_V_ERR_UNSPECIFIED) }
        guard let context = X509_STORE_CTX_new() else { return failure(X509_V_ERR_OUT_OF_MEM) }
        defer { X509_STORE_CTX_free(context) }
        guard let others = gatehouse_sk_X509_new_null(), let crls = OPENSSL_sk_new_null() else {
            return failure(X509_V_ERR_OUT_OF_MEM)
        }
        defer {
            gatehouse_sk_X509_free(others)  // borrowed certificates
            OPENSSL_sk_free(crls)  // borrowed CRLs
        }
        let extra = Array(chain.dropFirst()) + untrusted
        for certificate in extra { _ = certificate.withUnsafeX509 { gatehouse_sk_X509_push(others, $0) } }
        for crl in options.crls { _ = crl.withUnsafeCRL { OPENSSL_sk_push(crls, UnsafeRawPointer($0)) } }
        return withExtendedLifetime((extra, options.crls)) {
            leaf.withUnsafeX509 { leafX509 in
                self.withUnsafeStore { store in
                    OpenSSLErrorQueue.clear()
                    defer { OpenSSLErrorQueue.clear() }
                    guard X509_STORE_CTX_init(context, store, leafX509, others) == 1 else {
                        return failure(X509_V_ERR_UNSPECIFIED)
                    }
                    configure(context, options, crls: crls)
                    return run(context)
                }
            }
        }
    }
}

private func configure(_ context: OpaquePointer, _ options: ChainVerificationOptions, crls: OpaquePointer) {
    if let time = options.time { X509_STORE_CTX_set_time(context, 0, time_t(time.timeIntervalSince1970)) }
    switch options.purpose {
    case .clientAuth: X509_STORE_CTX_set_purpose(context, X509_PURPOSE_SSL_CLIENT)
    case .serverAuth: X509_STORE_CTX_set_purpose(context, X509_PURPOSE_SSL_SERVER)
    case .any: break
    }
    switch options.revocation {
    case .none: break
    case .leaf:
        X509_STORE_CTX_set0_crls(context, crls)
        X509_STORE_CTX_set_flags(context, UInt(X509_V_FLAG_CRL_CHECK))
    case .wholeChain:
        X509_STORE_CTX_set0_crls(context, crls)
        X509_STORE_CTX_set_flags(context, UInt(X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL))
    }
    if let depth = options.maxIntermediates {
        X509_VERIFY_PARAM_set_depth(X509_STORE_CTX_get0_param(context), Int32(max(0, depth)))
    }
    switch (options.checksLeafValidity, options.checksLeafPurpose) {
    case (true, true): break
    case (false, true): X509_STORE_CTX_set_verify_cb(context, forgiveLeafTime)
    case (true, false): X509_STORE_CTX_set_verify_cb(context, forgiveLeafPurpose)
    case (false, false): X509_STORE_CTX_set_verify_cb(context, forgiveLeafTimeAndPurpose)
    }
}

private func run(_ context: OpaquePointer) -> ChainVerification {
    if X509_verify_cert(context) == 1 {
        var chain: [Certificate] = []
        if let stack = X509_STORE_CTX_get1_chain(context) {
            defer { gatehouse_sk_X509_pop_free(stack) }
            for index in 0..<gatehouse_sk_X509_num(stack) {
                if let x509 = gatehouse_sk_X509_value(stack, index) { chain.append(Certificate(copying: x509)) }
            }
        }
        return ChainVerification(result: .ok, errorDepth: 0, chain: chain)
    }
    let code = X509_STORE_CTX_get_error(context)
    return ChainVerification(
        result: CertificateVerifyResult(code: code == X509_V_OK ? X509_V_ERR_UNSPECIFIED : code),
        errorDepth: Int(X509_STORE_CTX_get_error_depth(context)),
        chain: []
    )
}

private func failure(_ code: Int32) -> ChainVerification {
    ChainVerification(result: CertificateVerifyResult(code: code), errorDepth: 0, chain: [])
}

/// Forgives the leaf's own notBefore/notAfter errors; every other error (CA and CRL times included) stands.
private let forgiveLeafTime: @convention(c) (Int32, OpaquePointer?) -> Int32 = { ok, context in
    forgiveLeaf(ok, context, time: true, purpose: false)
}

/// Forgives the leaf's own purpose error; CA certificates' purpose errors stand.
private let forgiveLeafPurpose: @convention(c) (Int32, OpaquePointer?) -> Int32 = { ok, context in
    forgiveLeaf(ok, context, time: false, purpose: true)
}

private let forgiveLeafTimeAndPurpose: @convention(c) (Int32, OpaquePointer?) -> Int32 = { ok, context in
    forgiveLeaf(ok, context, time: true, purpose: true)
}

/// Clears the error and goes on when it is about the leaf (depth 0) and of a kind the caller checks itself.
private func forgiveLeaf(_ ok: Int32, _ context: OpaquePointer?, time: Bool, purpose: Bool) -> Int32 {
    guard ok == 0, let context, X509_STORE_CTX_get_error_depth(context) == 0 else { return ok }
    let error = X509_STORE_CTX_get_error(context)
    let isTime = error == X509_V_ERR_CERT_HAS_EXPIRED || error == X509_V_ERR_CERT_NOT_YET_VALID
    if (time && isTime) || (purpose && error == X509_V_ERR_INVALID_PURPOSE) {
        X509_STORE_CTX_set_error(context, X509_V_OK)
        return 1
    }
    return 0
}

extension CertificateVerifyResult {
    /// `X509_V_ERR_CERT_CHAIN_TOO_LONG`: more intermediates than the depth limit allows.
    public static let chainTooLong = CertificateVerifyResult(code: X509_V_ERR_CERT_CHAIN_TOO_LONG)
}
