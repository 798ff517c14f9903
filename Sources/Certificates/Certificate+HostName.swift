import COpenSSL
import Foundation

extension Certificate {
    /// Whether the certificate is for `host`, as RFC 6125 and browsers decide it: an IP address (IPv4 dotted quad,
    /// or IPv6 without brackets) matches an IP SAN only; any other host matches a DNS SAN (a wildcard only as the
    /// whole leftmost label). The subject's common name never counts.
    public func matchesHost(_ host: String) -> Bool {
        self.withUnsafeX509 { x509 in
            if isIPAddressLiteral(host) { return X509_check_ip_asc(x509, host, 0) == 1 }
            let flags = UInt32(X509_CHECK_FLAG_NEVER_CHECK_SUBJECT | X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS)
            return X509_check_host(x509, host, host.utf8.count, flags, nil) == 1
        }
    }
}

/// Whether `text` is an IPv4 address in dotted-quad form or an IPv6 address (no brackets, no zone).
public func isIPAddressLiteral(_ text: String) -> Bool {
    var address = in6_addr()
    return inet_pton(AF_INET, text, &address) == 1 || inet_pton(AF_INET6, text, &address) == 1
}
