import Foundation
import GatehouseCertificates
import GatehouseTransport

/// The certificates a listener presents and trusts, read from the files its TLS context was built from.
///
/// Read after the context was built, so the files are known to be good; reading them again keeps ``TLSContext``
/// free of what only a report needs.
struct ServerIdentity {
    /// The server certificate.
    let leaf: Certificate
    /// The rest of the chain the listener sends, nearest issuer first.
    let chain: [Certificate]
    /// The listener's `trustedCAs`.
    let trustedCAs: [Certificate]

    /// Reads the certificates of `tls` the way the TLS context does (a PKCS#12 file's chain without its root).
    /// - Throws: ``CertificateError`` naming the file.
    init(_ tls: TLSConfiguration) throws {
        let certificates: [Certificate]
        switch tls.identity {
        case .pem(let chainFile, _):
            certificates = try Certificate.loadChain(pemFile: chainFile)
        case .pkcs12(let file, let password):
            let bundle = try PKCS12Bundle.load(file: file, password: password)
            certificates = [bundle.certificate] + bundle.chain.filter { !$0.isSelfIssued }
        }
        guard let leaf = certificates.first else {
            throw CertificateError(.noCertificate, "no certificate in the listener's identity")
        }
        self.leaf = leaf
        self.chain = Array(certificates.dropFirst())
        self.trustedCAs =
            tls.clientCertificateMode == .none ? [] : try TrustStore(caFiles: tls.trustedCAFiles).certificates
    }
}
