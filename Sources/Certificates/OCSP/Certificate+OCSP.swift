import COpenSSL

extension Certificate {
    /// The OCSP responder URLs of the certificate's Authority Information Access extension, in certificate order;
    /// empty when it names none.
    public var ocspResponderURLs: [String] {
        self.withUnsafeX509 { x509 in
            guard let urls = X509_get1_ocsp(x509) else {
                OpenSSLErrorQueue.clear()
                return []
            }
            defer { X509_email_free(urls) }
            return (0..<gatehouse_sk_OPENSSL_STRING_num(urls)).compactMap { index in
                gatehouse_sk_OPENSSL_STRING_value(urls, index).map { String(cString: $0) }
            }
        }
    }
}
