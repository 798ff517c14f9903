import COpenSSL
import GatehouseCertificates

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Stateless session tickets: the server keeps nothing per session; the ticket, sealed with a key of the context's
/// ``SessionTicketKeyRing``, carries the session and what this server adds to it (``TicketBinding``): the client
/// certificate mode, the digest of the trust material and the SHA-256 of the leaf that verified under it.
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

    /// What this context writes into a ticket it issues on `connection`.
    fileprivate func binding(for connection: TLSConnection?) -> TicketBinding {
        TicketBinding(
            mode: self.clientCertificateMode,
            material: self.trustGeneration?.materialDigest ?? [],
            verifiedLeaf: connection?.verifiedChain?.leafDigest
        )
    }

    /// Whether a ticket with `binding` and `session` resumes here; sets the connection's verified entry when it
    /// does (the cache's entry of the leaf, or, on a process that never verified this client, the ticket's word).
    fileprivate func resumes(_ binding: TicketBinding, session: OpaquePointer, on connection: TLSConnection?) -> Bool {
        guard binding.mode == self.clientCertificateMode,
            binding.material == (self.trustGeneration?.materialDigest ?? [])
        else { return false }
        let leaf = SSL_SESSION_get0_peer(session)
        guard let digest = binding.verifiedLeaf else {
            // A session without a verified leaf (`request` mode: none sent, or a chain that failed) resumes as it
            // was; the policy decides on it again. `require` never issues one.
            return self.clientCertificateMode != .require
        }
        guard let leaf, let cache = self.verifiedChains, let generation = self.trustGeneration else { return false }
        let now = Int(time(nil))
        guard
            let entry = cache.entry(forLeafDigest: digest, generation: generation, at: now)
                ?? cache.attestedEntry(leaf: leaf, leafDigest: digest, generation: generation)
        else { return false }
        // What the full handshake would check of the leaf itself (`request` mode leaves it to the policy).
        if self.clientCertificateMode == .require && !entry.leafPassesHandshake(at: now) { return false }
        connection?.verifiedChain = entry
        return true
    }
}

/// What Gatehouse adds to a session ticket (OpenSSL's ticket appdata), authenticated with the ticket.
struct TicketBinding: Equatable {
    /// The layout's version: a ticket of another layout is not resumed.
    static let version: UInt8 = 1

    var mode: ClientCertificateMode
    /// The SHA-256 of the trust material the client's chain was verified under (``TrustGeneration``), empty when
    /// the context verifies none.
    var material: [UInt8]
    /// The SHA-256 of the client's leaf when its chain verified.
    var verifiedLeaf: SHA256Digest?

    /// `version, mode, material length, material, 1 and the leaf digest or 0`.
    var encoded: [UInt8] {
        var bytes: [UInt8] = [Self.version, self.mode.code, UInt8(self.material.count)] + self.material
        if let leaf = self.verifiedLeaf {
            bytes.append(1)
            bytes += leaf.bytes
        } else {
            bytes.append(0)
        }
        return bytes
    }

    init(mode: ClientCertificateMode, material: [UInt8], verifiedLeaf: SHA256Digest?) {
        self.mode = mode
        self.material = material
        self.verifiedLeaf = verifiedLeaf
    }

    /// The binding in `bytes`, or `nil` when they are not one of this layout.
    init?(_ bytes: UnsafeRawBufferPointer) {
        let bytes = Array(bytes)
        guard bytes.count >= 4, bytes[0] == Self.version,
            let mode = ClientCertificateMode.allCases.first(where: { $0.code == bytes[1] })
        else { return nil }
        let materialEnd = 3 + Int(bytes[2])
        guard bytes.count > materialEnd else { return nil }
        self.mode = mode
        self.material = Array(bytes[3..<materialEnd])
        switch (bytes[materialEnd], bytes.count - materialEnd - 1) {
        case (0, 0): self.verifiedLeaf = nil
        case (1, 32): self.verifiedLeaf = SHA256Digest(bytes: Array(bytes[(materialEnd + 1)...]))
        default: return nil
        }
    }
}

extension ClientCertificateMode {
    /// The mode's byte in a ticket.
    fileprivate var code: UInt8 {
        switch self {
        case .none: 0
        case .request: 1
        case .require: 2
        }
    }
}

/// The connection a callback's `SSL*` belongs to (a server connection sets itself as ex_data 0).
private func connection(of ssl: OpaquePointer) -> TLSConnection? {
    SSL_get_ex_data(ssl, 0).map { Unmanaged<TLSConnection>.fromOpaque($0).takeUnretainedValue() }
}

/// Seals (`encrypt` 1) or opens (0) a ticket with a key of the context's ring: picks the key, sets the AES-CBC
/// cipher context and the HMAC-SHA256 context. Returns 1 to use the key, 2 (opening) to use it and renew the ticket
/// under the newest key, 0 when no key opens it (a full handshake follows), -1 on an error.
private let ticketKeyCallback:
    @convention(c) (
        OpaquePointer?, UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<UInt8>?, OpaquePointer?, OpaquePointer?,
        Int32
    ) -> Int32 = { ssl, name, iv, cipherContext, macContext, encrypt in
        guard let ssl, let name, let iv, let ring = connection(of: ssl)?.context.ticketKeys else { return -1 }
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

/// A ticket is about to be sealed: write the binding into the session.
private let ticketGenerated: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?) -> Int32 = { ssl, argument in
    guard let ssl, let argument, let session = SSL_get_session(ssl) else { return 0 }
    let context = Unmanaged<TLSContext>.fromOpaque(argument).takeUnretainedValue()
    let bytes = context.binding(for: connection(of: ssl)).encoded
    return SSL_SESSION_set1_ticket_appdata(session, bytes, bytes.count)
}

/// A ticket was opened (or not): resume only when its binding holds here; otherwise a full handshake, with a new
/// ticket.
private let ticketOpened:
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
                context.resumes(binding, session: session, on: connection(of: ssl))
            else { return SSL_TICKET_RETURN_IGNORE_RENEW }
            return SSL_TICKET_RETURN_USE_RENEW
        case SSL_TICKET_EMPTY, SSL_TICKET_NO_DECRYPT, SSL_TICKET_NONE:
            return SSL_TICKET_RETURN_IGNORE_RENEW
        default:
            return SSL_TICKET_RETURN_ABORT
        }
    }
