import COpenSSL
import GatehouseCertificates

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Stateless session tickets: the server keeps nothing per session; the ticket, sealed with a key of the context's
/// ``SessionTicketKeyRing``, carries the session and what this server adds to it (``TicketBinding``): the client
/// certificate mode, the digest of the trust material and the leaf that verified under it (its SHA-256 and DER).
///
/// Opening a ticket resumes only when the binding matches this context: the same mode, the same trust material
/// (by content, so another replica with the same CAs resumes too), and in `require` mode a verified leaf that is
/// still valid for TLS client authentication. Otherwise the client makes a full handshake (and gets a new ticket).
extension TLSContext {
    /// Installs the ticket callbacks on `context`; tickets are valid for `lifetime` seconds.
    func installSessionTickets(on context: OpaquePointer, lifetime: Int) {
        _ = SSL_CTX_set_timeout(context, lifetime)
        _ = SSL_CTX_set_tlsext_ticket_key_evp_cb(context, ticketKeyCallback)
        _ = SSL_CTX_set_session_ticket_cb(
            context,
            ticketGenerated,
            ticketOpened,
            Unmanaged.passUnretained(self).toOpaque()
        )
    }

    /// What this context writes into a ticket it issues on `connection`: its verified leaf by digest, and by DER
    /// for a process that has not verified it.
    fileprivate func binding(for connection: TLSConnection?) -> TicketBinding {
        let entry = connection?.verifiedChain
        return TicketBinding(
            mode: self.clientCertificateMode,
            material: self.trustGeneration?.materialDigest ?? [],
            verifiedLeaf: entry?.leafDigest,
            leafDER: entry?.path.first?.derBytes ?? []
        )
    }

    /// Whether a ticket with `binding` resumes here; sets the connection's verified entry when it does (the cache's
    /// entry of the leaf, or, on a process that never verified this client, the ticket's word for the leaf it
    /// carries).
    func resumes(_ binding: TicketBinding, on connection: TLSConnection?) -> Bool {
        guard binding.mode == self.clientCertificateMode,
            binding.material == (self.trustGeneration?.materialDigest ?? [])
        else { return false }
        guard let digest = binding.verifiedLeaf else {
            // A session without a verified leaf (`request` mode: none sent, or a chain that failed) resumes as it
            // was, with the leaf OpenSSL keeps in it; the policy decides on it again. `require` never issues one.
            return self.clientCertificateMode != .require
        }
        guard let cache = self.verifiedChains, let generation = self.trustGeneration else { return false }
        let now = Int(time(nil))
        guard
            let entry = cache.entry(forLeafDigest: digest, generation: generation, at: now)
                ?? cache.attestedEntry(leafDER: binding.leafDER, leafDigest: digest, generation: generation)
        else { return false }
        // What the full handshake would check of the leaf itself (`request` mode leaves it to the policy).
        if self.clientCertificateMode == .require && !entry.leafPassesHandshake(at: now) { return false }
        connection?.verifiedChain = entry
        return true
    }
}

/// Seals (`encrypt` 1) or opens (0) a ticket with a key of the context's ring: picks the key, sets the AES-CBC
/// cipher context and the HMAC-SHA256 context. Returns 1 to use the key, 2 (opening) to use it and renew the ticket
/// under the newest key, 0 when no key opens it (a full handshake follows), -1 on an error.
private let ticketKeyCallback:
    @convention(c) (
        OpaquePointer?, UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<UInt8>?, OpaquePointer?, OpaquePointer?,
        Int32
    ) -> Int32 = { ssl, name, iv, cipherContext, macContext, encrypt in
        guard let ssl, let name, let iv, let ring = serverConnection(of: ssl)?.context.ticketKeys else { return -1 }
        let now = Int(time(nil))
        let chosen: (key: SessionTicketKey, isNewest: Bool)
        if encrypt == 1 {
            guard let key = ring.encryptionKey(at: now), RAND_bytes(iv, 16) == 1 else { return -1 }
            name.update(from: key.name, count: 16)
            chosen = (key, true)
        } else {
            guard let found = ring.decryptionKey(named: UnsafeBufferPointer(start: name, count: 16), at: now) else {
                return 0
            }
            chosen = found
        }
        let cipherReady =
            encrypt == 1
            ? EVP_EncryptInit_ex(cipherContext, chosen.key.cipher, nil, chosen.key.aesKey, iv)
            : EVP_DecryptInit_ex(cipherContext, chosen.key.cipher, nil, chosen.key.aesKey, iv)
        guard cipherReady == 1,
            gatehouse_ticket_hmac_init(macContext, chosen.key.hmacSecret, chosen.key.hmacSecret.count) == 1
        else { return -1 }
        return chosen.isNewest ? 1 : 2
    }

/// A ticket is about to be sealed from the connection's session: write the binding into the session, and in TLS 1.3
/// take the client's verified leaf out of it (the binding carries it; see ``SessionEncoding/dropPeer(of:)``).
///
/// The session is this connection's own here: the server keeps no session cache, and OpenSSL has already copied a
/// resumed connection's session before calling. A chain that did not verify (`request` mode) keeps its leaf in the
/// session, which is then all that tells a resumed connection's policy of it; so does TLS 1.2.
let ticketGenerated: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?) -> Int32 = { ssl, argument in
    guard let ssl, let argument, let session = SSL_get_session(ssl) else { return 0 }
    let context = Unmanaged<TLSContext>.fromOpaque(argument).takeUnretainedValue()
    let binding = context.binding(for: serverConnection(of: ssl))
    if binding.verifiedLeaf != nil, SSL_version(ssl) == TLS1_3_VERSION, SSL_SESSION_get0_peer(session) != nil {
        // Fail closed: a failed decode may have left the session half rewritten.
        if SessionEncoding.dropPeer(of: session) == .failed { return 0 }
    }
    let bytes = binding.encoded
    return SSL_SESSION_set1_ticket_appdata(session, bytes, bytes.count)
}

/// A ticket was opened (or not): resume only when its binding holds here; otherwise a full handshake, with a new
/// ticket.
let ticketOpened:
    @convention(c) (
        OpaquePointer?, OpaquePointer?, UnsafePointer<UInt8>?, Int, SSL_TICKET_STATUS, UnsafeMutableRawPointer?
    ) -> SSL_TICKET_RETURN = { ssl, session, _, _, status, argument in
        switch status {
        case SSL_TICKET_SUCCESS, SSL_TICKET_SUCCESS_RENEW:
            guard let ssl, let session, let argument else { return SSL_TICKET_RETURN_IGNORE_RENEW }
            let context = Unmanaged<TLSContext>.fromOpaque(argument).takeUnretainedValue()
            var data: UnsafeMutableRawPointer? = nil
            var length = 0
            guard SSL_SESSION_get0_ticket_appdata(session, &data, &length) == 1, let data,
                let binding = TicketBinding(UnsafeRawBufferPointer(start: data, count: length)),
                context.resumes(binding, on: serverConnection(of: ssl))
            else { return SSL_TICKET_RETURN_IGNORE_RENEW }
            return SSL_TICKET_RETURN_USE_RENEW
        case SSL_TICKET_EMPTY, SSL_TICKET_NO_DECRYPT, SSL_TICKET_NONE:
            return SSL_TICKET_RETURN_IGNORE_RENEW
        default:
            return SSL_TICKET_RETURN_ABORT
        }
    }
