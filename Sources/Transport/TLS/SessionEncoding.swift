import COpenSSL
import GatehouseCertificates

/// OpenSSL's DER encoding of a session (`i2d_SSL_SESSION`), edited to leave the peer's certificate out.
///
/// OpenSSL 3.0 writes the peer's leaf into every session it encodes (element `[3]` of the session's SEQUENCE) and
/// decodes it again, public key and all, from every ticket it seals or opens: most of a resumption's instructions.
/// It has no setter that clears a session's peer, and `SSL_set_session` cannot replace a server's session once the
/// version is negotiated (the connection's method is then the version's, not the context's, and switching it back
/// frees the handshake's state). What it has is `d2i_SSL_SESSION` into an existing session, which sets every field
/// of the encoding in place, the peer too (absent: none), and leaves the rest (references, the peer chain stack,
/// ex_data) as they were.
enum SessionEncoding {
    /// What ``dropPeer(of:)`` did.
    enum Outcome: Equatable {
        /// The session has no peer now; every other field of its encoding is as it was.
        case dropped
        /// The session is unchanged (it has no peer, or its encoding could not be read).
        case kept
        /// Decoding into the session failed (out of memory): it may be partly rewritten.
        case failed
    }

    /// The context-specific constructed tag `[3]` of the session's peer certificate.
    private static let peerTag: UInt8 = 0xA3

    /// Rewrites `session` (an `SSL_SESSION*` no one else uses, e.g. the one a server connection is about to seal a
    /// ticket from) without its peer certificate: encodes it, drops the peer's element, decodes the rest into it.
    static func dropPeer(of session: OpaquePointer) -> Outcome {
        let length = i2d_SSL_SESSION(session, nil)
        guard length > 0 else { return .kept }
        var der = [UInt8](repeating: 0, count: Int(length))
        let written = der.withUnsafeMutableBufferPointer { buffer in
            var cursor = buffer.baseAddress
            return i2d_SSL_SESSION(session, &cursor)
        }
        guard written == length, let edited = Self.removingPeer(from: der) else { return .kept }
        OpenSSLErrorQueue.clear()
        let decoded = edited.withUnsafeBufferPointer { buffer in
            var target: OpaquePointer? = session
            var cursor = buffer.baseAddress
            return d2i_SSL_SESSION(&target, &cursor, buffer.count)
        }
        guard decoded == session else {
            OpenSSLErrorQueue.clear()
            return .failed
        }
        return .dropped
    }

    /// `der` (one session's encoding: a SEQUENCE of single-byte-tagged elements) without its `[3]` element, or
    /// `nil` when it has none or is not such an encoding.
    static func removingPeer(from der: [UInt8]) -> [UInt8]? {
        guard der.first == 0x30, let outer = Self.length(in: der, at: 1), outer.end == der.count else { return nil }
        var index = outer.contentStart
        var peer: Range<Int>?
        while index < der.count {
            // Multi-byte tags (low five bits all set) do not occur in a session's encoding.
            guard der[index] & 0x1F != 0x1F, let element = Self.length(in: der, at: index + 1),
                element.end <= der.count
            else { return nil }
            if der[index] == Self.peerTag { peer = index..<element.end }
            index = element.end
        }
        guard let peer else { return nil }
        let contentLength = der.count - outer.contentStart - peer.count
        var edited: [UInt8] = [0x30]
        edited.reserveCapacity(6 + contentLength)
        if contentLength < 0x80 {
            edited.append(UInt8(contentLength))
        } else {
            let bytes = (contentLength.bitWidth - contentLength.leadingZeroBitCount + 7) / 8
            edited.append(0x80 | UInt8(bytes))
            for shift in stride(from: (bytes - 1) * 8, through: 0, by: -8) {
                edited.append(UInt8(truncatingIfNeeded: contentLength >> shift))
            }
        }
        edited += der[outer.contentStart..<peer.lowerBound]
        edited += der[peer.upperBound...]
        return edited
    }

    /// The DER length whose first byte is at `index`: where the content starts and where it ends (definite lengths
    /// of up to four bytes).
    private static func length(in der: [UInt8], at index: Int) -> (contentStart: Int, end: Int)? {
        guard index < der.count else { return nil }
        let first = der[index]
        if first < 0x80 { return (index + 1, index + 1 + Int(first)) }
        let count = Int(first & 0x7F)
        guard (1...4).contains(count), index + count < der.count else { return nil }
        var value = 0
        for offset in 1...count { value = value << 8 | Int(der[index + offset]) }
        return (index + 1 + count, index + 1 + count + value)
    }
}
