import Foundation

extension SubjectAlternativeName {
    /// Parses OpenSSL's spelling of a SAN: `DNS:example.com`, `IP:127.0.0.1`, `IP:::1`, `URI:spiffe://…`,
    /// `email:a@example.com` (prefixes case-insensitive). A value without a prefix is an IP address when it
    /// parses as one and a DNS name otherwise.
    /// - Throws: ``CertificateError/Code/generationFailed`` naming the text, for an empty value, a malformed IP
    ///   address, a URI without a scheme or an email address without `@`.
    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let bad = { (why: String) in CertificateError(.generationFailed, "subjectAltName \"\(text)\": \(why)") }
        guard let colon = trimmed.firstIndex(of: ":") else {
            guard !trimmed.isEmpty else { throw bad("empty") }
            if isIPAddress(trimmed) {
                self = .ipAddress(trimmed)
                return
            }
            guard isDNSName(trimmed) else { throw bad("not a DNS name") }
            self = .dnsName(trimmed)
            return
        }
        let prefix = trimmed[..<colon].lowercased()
        let value = String(trimmed[trimmed.index(after: colon)...])
        switch prefix {
        case "dns":
            guard isDNSName(value) else { throw bad("not a DNS name") }
            self = .dnsName(value)
        case "ip":
            guard isIPAddress(value) else { throw bad("not an IPv4 or IPv6 address") }
            self = .ipAddress(value)
        case "uri":
            guard let scheme = value.firstIndex(of: ":"), scheme != value.startIndex, !value.contains(",") else {
                throw bad("a URI needs a scheme, e.g. URI:spiffe://example.org/service")
            }
            self = .uri(value)
        case "email":
            guard value.contains("@"), !value.contains(",") else { throw bad("not an email address") }
            self = .email(value)
        default:
            // An IPv6 address without a prefix also contains colons.
            guard isIPAddress(trimmed) else { throw bad("use DNS:, IP:, URI: or email:") }
            self = .ipAddress(trimmed)
        }
    }
}

private func isIPAddress(_ text: String) -> Bool {
    var v4 = in_addr()
    var v6 = in6_addr()
    return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
}

/// Letters, digits, `-`, `.`, `_` and a leading `*.` wildcard; no empty labels.
private func isDNSName(_ text: String) -> Bool {
    let body = text.hasPrefix("*.") ? String(text.dropFirst(2)) : text
    let labels = body.split(separator: ".", omittingEmptySubsequences: false)
    return !body.isEmpty
        && labels.allSatisfy { label in
            !label.isEmpty && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
        }
}
