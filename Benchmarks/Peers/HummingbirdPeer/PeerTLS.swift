import NIOSSL

/// The peer's TLS settings: the same certificates as Gatehouse and nginx, and a client certificate required.
enum PeerTLS {
    /// A server configuration that presents `certificateChain` and rejects clients without a certificate that
    /// chains to one of the CAs in `clientCA` (host names of clients are not checked).
    static func serverConfiguration(certificateChain: String, key: String, clientCA: String) throws
        -> TLSConfiguration
    {
        let chain = try NIOSSLCertificate.fromPEMFile(certificateChain).map { NIOSSLCertificateSource.certificate($0) }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain,
            privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
        )
        configuration.certificateVerification = .noHostnameVerification
        configuration.trustRoots = .file(clientCA)
        return configuration
    }
}
