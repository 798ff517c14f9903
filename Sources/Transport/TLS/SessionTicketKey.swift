import COpenSSL

/// One key that seals session tickets, in nginx's `ssl_session_ticket_key` layout: a 16-byte name (sent in the clear
/// with each ticket, to pick the key that opens it), an HMAC-SHA256 secret and an AES key.
///
/// An 80-byte key is 16 bytes of name, 32 of HMAC secret and 32 of AES-256 key; a 48-byte (legacy) one is 16, 16
/// and 16 (AES-128). Tickets are AES-CBC encrypted then HMAC-SHA256 authenticated (OpenSSL's own scheme).
struct SessionTicketKey: Sendable, Equatable, CustomStringConvertible {
    /// The bytes an nginx key file holds: 80, or 48 for the legacy AES-128 layout.
    static let lengths = (current: 80, legacy: 48)

    let name: [UInt8]
    let hmacSecret: [UInt8]
    let aesKey: [UInt8]

    /// A key from its file bytes (80 or 48), or `nil` for another length.
    init?(bytes: ArraySlice<UInt8>) {
        let bytes = Array(bytes)
        switch bytes.count {
        case Self.lengths.current:
            self.init(name: Array(bytes[0..<16]), hmacSecret: Array(bytes[16..<48]), aesKey: Array(bytes[48..<80]))
        case Self.lengths.legacy:
            self.init(name: Array(bytes[0..<16]), hmacSecret: Array(bytes[16..<32]), aesKey: Array(bytes[32..<48]))
        default:
            return nil
        }
    }

    private init(name: [UInt8], hmacSecret: [UInt8], aesKey: [UInt8]) {
        self.name = name
        self.hmacSecret = hmacSecret
        self.aesKey = aesKey
    }

    /// A new random 80-byte key, or `nil` when the system has no randomness to give.
    static func random() -> SessionTicketKey? {
        var bytes = [UInt8](repeating: 0, count: Self.lengths.current)
        guard RAND_bytes(&bytes, Int32(bytes.count)) == 1 else { return nil }
        return SessionTicketKey(bytes: bytes[...])
    }

    /// The keys of a key file: 80-byte keys one after another (or 48-byte legacy ones, when the length is not a
    /// multiple of 80), the first encrypting, all decrypting; `nil` when the length fits neither layout.
    static func keys(inFile bytes: [UInt8]) -> [SessionTicketKey]? {
        let size =
            bytes.count % Self.lengths.current == 0
            ? Self.lengths.current : bytes.count % Self.lengths.legacy == 0 ? Self.lengths.legacy : 0
        guard size > 0, !bytes.isEmpty else { return nil }
        return stride(from: 0, to: bytes.count, by: size).compactMap {
            SessionTicketKey(bytes: bytes[$0..<($0 + size)])
        }
    }

    /// The AES cipher this key encrypts with.
    var cipher: OpaquePointer? { self.aesKey.count == 32 ? EVP_aes_256_cbc() : EVP_aes_128_cbc() }

    /// Never the secrets: the key's length only (the name identifies it on the wire, but not in logs).
    var description: String { "session ticket key (\(16 + self.hmacSecret.count + self.aesKey.count) bytes)" }
}
