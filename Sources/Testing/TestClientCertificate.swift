/// The certificate a ``TestClient`` presents: a good client of the ``TestPKI``, one a policy must refuse, or none.
///
/// ```swift
/// let alice = try server.client(.client("alice"))     // CN=alice,O=Gatehouse Tests, under the test CA
/// let anonymous = try server.client(.none)
/// let stranger = try server.client(.untrusted)        // from a CA the server does not trust
/// ```
public struct TestClientCertificate: Sendable {
    private let resolve: @Sendable (TestPKI) throws -> TestIdentity?

    private init(_ resolve: @escaping @Sendable (TestPKI) throws -> TestIdentity?) {
        self.resolve = resolve
    }

    /// The identity this choice stands for in `pki`; `nil` for ``none``.
    public func identity(in pki: TestPKI) throws -> TestIdentity? { try self.resolve(pki) }

    /// No client certificate.
    public static var none: TestClientCertificate { TestClientCertificate { _ in nil } }

    /// A good client certificate named `CN=<commonName>,O=Gatehouse Tests` under the test intermediate CA (see
    /// ``TestPKI/client(named:)``); the default `"client"` is ``TestPKI/client``.
    public static func client(_ commonName: String = "client") -> TestClientCertificate {
        TestClientCertificate { try $0.client(named: commonName) }
    }

    /// One of the fixed certificates of the ``TestPKI`` (``TestPKI/Client``).
    public static func pki(_ client: TestPKI.Client) -> TestClientCertificate {
        TestClientCertificate { $0.identity(client) }
    }

    /// A certificate from a CA the server does not trust (``TestPKI/strangerClient``).
    public static var untrusted: TestClientCertificate { .pki(.strangerClient) }

    /// A certificate whose validity ended 30 days ago (``TestPKI/expiredClient``).
    public static var expired: TestClientCertificate { .pki(.expiredClient) }

    /// A self-signed client certificate (``TestPKI/selfSignedClient``).
    public static var selfSigned: TestClientCertificate { .pki(.selfSignedClient) }

    /// Any identity, for example one of ``PolicyTestPKI``'s attack certificates.
    public static func identity(_ identity: TestIdentity) -> TestClientCertificate {
        TestClientCertificate { _ in identity }
    }
}
