public import GatehouseCertificates
public import NIOCore
import Synchronization

/// The HTTP version a connection speaks.
public enum HTTPVersionKind: String, Sendable, Hashable, CustomStringConvertible {
    // Case names keep the version numbers as written (NIO spells them the same way).
    /// HTTP/1.1, negotiated by ALPN `http/1.1` or chosen when the client offers no ALPN.
    // swift-format-ignore: AlwaysUseLowerCamelCase
    case http1_1 = "HTTP/1.1"
    /// HTTP/2, negotiated by ALPN `h2`.
    case http2 = "HTTP/2"

    /// The version as logs and ``ConnectionInfo`` readers show it: `HTTP/1.1` or `HTTP/2`.
    public var description: String { self.rawValue }
}

/// Facts about one connection, fixed once its TLS handshake is done.
///
/// Copied into every request's ``RequestContext``, so the facts live in one shared, immutable box: a copy costs
/// one reference count, not one per field.
public struct ConnectionInfo: Sendable {
    /// Immutable after `init`, so sharing it across copies (and isolation domains) is safe.
    private final class Storage: Sendable {
        let id: UInt64
        let remoteAddress: SocketAddress?
        let localAddress: SocketAddress?
        let httpVersion: HTTPVersionKind
        let tls: TLSSessionInfo
        /// The texts written the first time something asks for them (a log line, a span, a request record), in one
        /// object made then: an idle connection that nothing logs keeps neither them nor room for them.
        let texts = Mutex<Texts?>(nil)

        init(
            id: UInt64,
            remoteAddress: SocketAddress?,
            localAddress: SocketAddress?,
            httpVersion: HTTPVersionKind,
            tls: TLSSessionInfo
        ) {
            self.id = id
            self.remoteAddress = remoteAddress
            self.localAddress = localAddress
            self.httpVersion = httpVersion
            self.tls = tls
        }
    }

    /// The connection's texts for logs and request records, each written when first asked for.
    // @unchecked: read and written only under the lock of the storage's `texts`.
    private final class Texts: @unchecked Sendable {
        /// The leaf's subject (`.some(nil)`: no certificate).
        var clientSubject: String??
        /// The leaf's SHA-256 thumbprint.
        var clientSHA256: String?
        /// The remote address as `ip:port`.
        var remoteText: String?
    }

    private let storage: Storage

    /// Runs `body` on the connection's texts (made at the first call), under their lock.
    private func withTexts<Result: Sendable>(_ body: (Texts) -> Result) -> Result {
        self.storage.texts.withLock { texts in
            if let texts { return body(texts) }
            let made = Texts()
            texts = made
            return body(made)
        }
    }

    /// Whether `other` is a copy of these facts (the same connection), not merely equal ones.
    package func isSame(as other: ConnectionInfo) -> Bool {
        self.storage === other.storage
    }

    /// A number unique to this connection within the process, for logs.
    public var id: UInt64 { self.storage.id }
    /// The client's address.
    public var remoteAddress: SocketAddress? { self.storage.remoteAddress }
    /// The listener's address the client connected to.
    public var localAddress: SocketAddress? { self.storage.localAddress }
    /// The HTTP version chosen for the connection (by ALPN; HTTP/1.1 without ALPN).
    public var httpVersion: HTTPVersionKind { self.storage.httpVersion }
    /// The TLS facts: version, cipher, ALPN, peer chain and verify result.
    public var tls: TLSSessionInfo { self.storage.tls }
    /// The subject of the client's leaf certificate (RFC 4514), read once per connection when first asked for (for
    /// logs).
    public var clientSubject: String? {
        self.withTexts { texts in
            if let cached = texts.clientSubject { return cached }
            let subject = self.tls.peerCertificate?.subject
            texts.clientSubject = .some(subject)
            return subject
        }
    }
    /// The SHA-256 thumbprint of the client's leaf certificate (upper-case hex), computed once per connection when
    /// first asked for (an access log asks on every request); `nil` without a certificate.
    public var clientSHA256: String? {
        guard let certificate = self.tls.peerCertificate else { return nil }
        return self.withTexts { texts in
            if let cached = texts.clientSHA256 { return cached }
            let thumbprint = certificate.sha256.hexString
            texts.clientSHA256 = thumbprint
            return thumbprint
        }
    }

    /// The client's `ip:port` (`[ip]:port` for IPv6), `-` when unknown; written once per connection when first asked
    /// for (an access log asks on every request).
    public var remoteAddressText: String {
        self.withTexts { texts in
            if let cached = texts.remoteText { return cached }
            var text = "-"
            if let address = self.remoteAddress, let ip = address.ipAddress {
                let port = address.port ?? 0
                if case .v6 = address { text = "[\(ip)]:\(port)" } else { text = "\(ip):\(port)" }
            }
            texts.remoteText = text
            return text
        }
    }

    /// Creates connection facts.
    public init(
        id: UInt64,
        remoteAddress: SocketAddress?,
        localAddress: SocketAddress?,
        httpVersion: HTTPVersionKind,
        tls: TLSSessionInfo
    ) {
        self.storage = Storage(
            id: id,
            remoteAddress: remoteAddress,
            localAddress: localAddress,
            httpVersion: httpVersion,
            tls: tls
        )
    }
}

/// What the TLS handshake established.
public struct TLSSessionInfo: Sendable {
    /// `TLSv1.2` or `TLSv1.3`.
    public let protocolVersion: String
    /// The negotiated cipher suite, in OpenSSL's spelling (`TLS_AES_128_GCM_SHA256`).
    public let cipher: String
    /// The ALPN protocol, `h2` or `http/1.1`; `nil` when the client offered none.
    public let alpn: String?
    /// The client's certificate chain exactly as sent, leaf first; empty when it sent none.
    ///
    /// A presented certificate is not a verified one: read ``verifyResult`` too. When the chain verified, these are
    /// the objects of its ``verifiedChain`` entry, shared by every connection that presents the same chain.
    public var peerCertificates: [Certificate] { self.verifiedChain?.presented ?? self.ownPeerCertificates }
    /// The peer's certificates when the entry does not hold them (none verified, or a chain padded with others).
    private let ownPeerCertificates: [Certificate]
    /// The verified-chain cache's entry for the client's chain, when the handshake verified it (or a resumed
    /// session's leaf has one): the verified path under the listener's trust generation. The connection keeps this
    /// reference, not a copy; a policy with the same trust material takes its verdict from it.
    package let verifiedChain: VerifiedChainCache.Entry?
    /// OpenSSL's verdict on ``peerCertificates`` against the listener's trusted CAs; `nil` when no
    /// certificate was sent or the listener does not ask for one.
    public let verifyResult: CertificateVerifyResult?
    /// Whether the session was resumed from a ticket (no certificate exchange happened in it).
    public let isResumed: Bool

    /// Creates TLS facts.
    public init(
        protocolVersion: String,
        cipher: String,
        alpn: String?,
        peerCertificates: [Certificate],
        verifyResult: CertificateVerifyResult?,
        isResumed: Bool
    ) {
        self.init(
            protocolVersion: protocolVersion,
            cipher: cipher,
            alpn: alpn,
            verifiedChain: nil,
            peerCertificates: peerCertificates,
            verifyResult: verifyResult,
            isResumed: isResumed
        )
    }

    /// Creates TLS facts whose peer certificates are `verifiedChain`'s presented ones when it has them, else
    /// `peerCertificates`.
    package init(
        protocolVersion: String,
        cipher: String,
        alpn: String?,
        verifiedChain: VerifiedChainCache.Entry?,
        peerCertificates: [Certificate],
        verifyResult: CertificateVerifyResult?,
        isResumed: Bool
    ) {
        self.protocolVersion = protocolVersion
        self.cipher = cipher
        self.alpn = alpn
        self.verifiedChain = verifiedChain
        self.ownPeerCertificates = verifiedChain?.presented == nil ? peerCertificates : []
        self.verifyResult = verifyResult
        self.isResumed = isResumed
    }

    /// The client's leaf certificate, if it sent one.
    public var peerCertificate: Certificate? { self.verifiedChain?.path.first ?? self.ownPeerCertificates.first }
}
