/// How a listener treats client certificates.
public enum ClientCertificateMode: String, Sendable, Hashable, CaseIterable {
    /// Never ask for one.
    case none
    /// Ask for one, accept whatever is sent (or nothing); a policy decides later per route.
    case request
    /// Require one that verifies against ``TLSConfiguration/trustedCAFiles`` during the handshake;
    /// fail the handshake with a TLS alert otherwise.
    case require
}

/// A TLS protocol version Gatehouse speaks. Nothing older than TLS 1.2 is offered.
public enum TLSVersion: String, Sendable, Hashable, CaseIterable, Comparable {
    // Case names keep the version numbers as written (NIO spells them the same way).
    /// TLS 1.2 (RFC 5246).
    // swift-format-ignore: AlwaysUseLowerCamelCase
    case v1_2 = "TLSv1.2"
    /// TLS 1.3 (RFC 8446).
    // swift-format-ignore: AlwaysUseLowerCamelCase
    case v1_3 = "TLSv1.3"

    /// The protocol's order: 1.2 before 1.3.
    private var order: Int {
        switch self {
        case .v1_2: 0
        case .v1_3: 1
        }
    }

    /// Older versions first.
    public static func < (lhs: TLSVersion, rhs: TLSVersion) -> Bool { lhs.order < rhs.order }
}

/// The server's certificate and key.
///
/// An enum so that other sources (PKCS#12 files, hardware keys) are added as cases.
public enum TLSIdentity: Sendable, Hashable {
    /// A PEM file holding the certificate followed by any intermediates, and a PEM private key file.
    case pem(certificateChainFile: String, privateKeyFile: String)
    /// A PKCS#12 (.pfx) file with its password.
    case pkcs12(file: String, password: String)
}

/// A listener's TLS settings. Strict by default: TLS 1.2 and 1.3 only, modern AEAD ciphers,
/// no renegotiation, resumption on (stateless session tickets), ALPN `h2` then `http/1.1`.
public struct TLSConfiguration: Sendable, Hashable {
    /// The server's certificate chain and key.
    public var identity: TLSIdentity
    /// Whether and how a client certificate is asked for.
    public var clientCertificateMode: ClientCertificateMode
    /// PEM files (or directories of them) with the CAs client chains are verified against during the
    /// handshake. Required by `require`; with `request` they are used to fill ``TLSSessionInfo/verifyResult``
    /// and the list of acceptable CAs sent to the client.
    public var trustedCAFiles: [String]
    /// ALPN protocols in order of preference. A client without ALPN gets HTTP/1.1.
    public var applicationProtocols: [String]
    /// The lowest version accepted.
    public var minimumVersion: TLSVersion
    /// The highest version offered.
    public var maximumVersion: TLSVersion
    /// A file of session-ticket keys in nginx's format (`openssl rand 80 > ticket.key`; several keys one after
    /// another: the first encrypts, all decrypt), shared by replicas that should resume each other's sessions.
    /// `nil`: random keys, a new one every ``ticketKeyRotation``.
    public var sessionTicketKeyFile: String?
    /// How long a session ticket is valid, and how often a new random ticket key is made when there is no
    /// ``sessionTicketKeyFile`` (the previous key still opens tickets for one more period).
    public var ticketKeyRotation: Duration

    /// Creates TLS settings with strict defaults.
    public init(
        identity: TLSIdentity,
        clientCertificateMode: ClientCertificateMode = .request,
        trustedCAFiles: [String] = [],
        applicationProtocols: [String] = ["h2", "http/1.1"],
        minimumVersion: TLSVersion = .v1_2,
        maximumVersion: TLSVersion = .v1_3,
        sessionTicketKeyFile: String? = nil,
        ticketKeyRotation: Duration = .seconds(3600)
    ) {
        self.identity = identity
        self.clientCertificateMode = clientCertificateMode
        self.trustedCAFiles = trustedCAFiles
        self.applicationProtocols = applicationProtocols
        self.minimumVersion = minimumVersion
        self.maximumVersion = maximumVersion
        self.sessionTicketKeyFile = sessionTicketKeyFile
        self.ticketKeyRotation = ticketKeyRotation
    }
}
