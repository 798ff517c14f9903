import COpenSSL
import GatehouseCertificates

extension TLSConnection {
    /// The facts of the finished handshake: version, cipher, ALPN, the peer's chain and verify result.
    package func sessionInfo() -> TLSSessionInfo {
        self.withUnsafeSSL { ssl in
            let version = SSL_get_version(ssl).map { String(cString: $0) } ?? ""
            let cipher =
                SSL_get_current_cipher(ssl).flatMap { SSL_CIPHER_get_name($0) }.map { String(cString: $0) } ?? ""
            let chain = self.presentedChain ?? peerChain(ssl, shared: self.context.verificationCache)
            self.presentedChain = nil  // the session info holds it from now on
            let verifyResult: CertificateVerifyResult? =
                chain.isEmpty || !self.context.verifiesPeer
                ? nil : CertificateVerifyResult(code: Int32(truncatingIfNeeded: SSL_get_verify_result(ssl)))
            return TLSSessionInfo(
                protocolVersion: version,
                cipher: cipher,
                alpn: selectedALPN(ssl),
                peerCertificates: chain,
                verifyResult: verifyResult,
                isResumed: SSL_session_reused(ssl) == 1
            )
        }
    }
}

/// The peer's chain from the session, leaf first: a client's view of the server, or a server's resumed session
/// (whose session keeps only the leaf; see ``TLSConnection/presentedChain``). On a server `SSL_get_peer_cert_chain`
/// omits the leaf; on a client it includes it: add the leaf only when it is not already first. When the leaf is
/// that of a chain in `shared` (verified through the verification cache), that chain's ``Certificate`` objects,
/// as first presented, are reused.
private func peerChain(_ ssl: OpaquePointer, shared: HandshakeVerificationCache?) -> [Certificate] {
    guard let leaf = SSL_get0_peer_certificate(ssl) else { return [] }
    let stack = SSL_get_peer_cert_chain(ssl)
    if let cached = shared?.presentedCertificates(forLeaf: leaf), cached.first?.withUnsafeX509({ $0 == leaf }) == true {
        return cached
    }
    var chain = [Certificate(copying: leaf)]
    guard let stack else { return chain }
    for index in 0..<gatehouse_sk_X509_num(stack) {
        guard let x509 = gatehouse_sk_X509_value(stack, index) else { continue }
        if index == 0 && X509_cmp(x509, leaf) == 0 { continue }
        chain.append(Certificate(copying: x509))
    }
    return chain
}

private func selectedALPN(_ ssl: OpaquePointer) -> String? {
    var data: UnsafePointer<UInt8>? = nil
    var length: UInt32 = 0
    SSL_get0_alpn_selected(ssl, &data, &length)
    guard let data, length > 0 else { return nil }
    return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
}
