import Foundation

/// Where an OCSP request is POSTed: an `http://` URL taken apart for the connection and the request line.
struct OCSPResponderURL: Hashable, Sendable, CustomStringConvertible {
    /// The host to connect to (an IPv6 address without brackets).
    let host: String
    let port: Int
    /// The request target: the path (`/` when empty) and query.
    let target: String
    /// The URL as written.
    let description: String

    /// Parses `text`; `nil` unless it is an `http://` URL with a host (OCSP over HTTP, RFC 6960 appendix A: the
    /// response is signed, so TLS adds nothing, and responders rarely offer it).
    init?(_ text: String) {
        guard let components = URLComponents(string: text), components.scheme?.lowercased() == "http",
            var host = components.host, !host.isEmpty
        else { return nil }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let port = components.port ?? 80
        guard (1...65535).contains(port) else { return nil }
        self.host = host
        self.port = port
        let path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        self.target = components.percentEncodedQuery.map { "\(path)?\($0)" } ?? path
        self.description = text
    }

    /// The `Host` header's value.
    var hostHeader: String {
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        return self.port == 80 ? host : "\(host):\(self.port)"
    }
}
