import COpenSSL
import GatehouseCertificates
import Synchronization

extension TLSConnection {
    /// The facts of the finished handshake: version, cipher, ALPN, the peer's chain and verify result.
    package func sessionInfo() -> TLSSessionInfo {
        self.withUnsafeSSL { ssl in
            let version = SSL_get_version(ssl).map { String(cString: $0) } ?? ""
            let cipher = SSL_get_current_cipher(ssl).flatMap { SSL_CIPHER_get_name($0) }.map(sharedCipherName) ?? ""
            // A full handshake's verify callback, or a resumption's ticket callback (TLSContext+Tickets), set it.
            let entry = self.verifiedChain
            // The entry holds the presented chain when it can; the connection's own copy only when it cannot, and a
            // resumed connection's entry its leaf (a TLS 1.3 server's session keeps no peer; TicketBinding).
            let chain =
                entry?.presented != nil
                ? [] : self.presentedChain ?? entry.map { [$0.path[0]] } ?? peerChain(ssl)
            self.presentedChain = nil  // the session info holds it from now on
            if self.context.role == .server, let session = SSL_get_session(ssl) {
                // The ticket binding (with its leaf) is sealed by now; the idle connection need not keep a copy.
                _ = SSL_SESSION_set1_ticket_appdata(session, nil, 0)
            }
            self.verifiedChain = nil
            let hasCertificate = !chain.isEmpty || entry != nil
            let verifyResult: CertificateVerifyResult? =
                !hasCertificate || !self.context.verifiesPeer
                ? nil : CertificateVerifyResult(code: Int32(truncatingIfNeeded: SSL_get_verify_result(ssl)))
            return TLSSessionInfo(
                protocolVersion: version,
                cipher: cipher,
                alpn: selectedALPN(ssl),
                verifiedChain: entry,
                peerCertificates: chain,
                verifyResult: verifyResult,
                isResumed: SSL_session_reused(ssl) == 1
            )
        }
    }
}

/// The peer's chain from the session, leaf first: a client's view of the server, or a server's session resumed
/// without a verified entry (a `request`-mode chain that did not verify, whose session keeps only its leaf; see
/// ``TLSConnection/presentedChain``). On a server `SSL_get_peer_cert_chain` omits the leaf; on a client it includes
/// it: add the leaf only when it is not already first.
private func peerChain(_ ssl: OpaquePointer) -> [Certificate] {
    guard let leaf = SSL_get0_peer_certificate(ssl) else { return [] }
    let stack = SSL_get_peer_cert_chain(ssl)
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

/// Cipher-suite names, one shared `String` each, by the address of OpenSSL's name: `SSL_CIPHER_get_name` points into
/// OpenSSL's static table of suites (which bounds this one), and a name over 15 bytes would otherwise be a heap copy
/// held by every connection.
private let cipherNames = Mutex<[Int: String]>([:])

private func sharedCipherName(_ name: UnsafePointer<CChar>) -> String {
    cipherNames.withLock { names in
        if let shared = names[Int(bitPattern: name)] { return shared }
        let created = String(cString: name)
        names[Int(bitPattern: name)] = created
        return created
    }
}
