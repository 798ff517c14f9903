import Foundation

/// An upstream's `url`: `https://` or `http://`, a host, an optional port and an optional base path; no query or
/// fragment.
public struct UpstreamURL: Sendable, Hashable, CustomStringConvertible {
    /// `https` or `http`.
    public let scheme: String
    /// `host[:port]` as written (brackets kept for IPv6): the requests' authority.
    public let authority: String
    /// The path requests are appended to, without a trailing `/`; empty for none.
    public let basePath: String

    /// Parses `text`.
    /// - Throws: ``UpstreamURLError`` saying what is wrong.
    public init(_ text: String) throws {
        guard let schemeEnd = text.range(of: "://") else {
            throw UpstreamURLError("'\(text)' is not a URL: write https://host[:port][/path] or http://…")
        }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "https" || scheme == "http" else {
            throw UpstreamURLError("'\(text)': the scheme must be https or http, not \(scheme)")
        }
        let rest = text[schemeEnd.upperBound...]
        guard !rest.contains("?"), !rest.contains("#") else {
            throw UpstreamURLError("'\(text)': an upstream URL has no query or fragment")
        }
        let pathStart = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = String(rest[..<pathStart])
        guard Self.isValidAuthority(authority) else {
            throw UpstreamURLError("'\(text)': '\(authority)' is not a host with an optional port (1-65535)")
        }
        var basePath = String(rest[pathStart...])
        while basePath.hasSuffix("/") { basePath.removeLast() }
        self.scheme = scheme
        self.authority = authority
        self.basePath = basePath
    }

    /// Whether requests go over TLS.
    public var isSecure: Bool { self.scheme == "https" }

    /// The URL as configured, normalised.
    public var description: String { "\(self.scheme)://\(self.authority)\(self.basePath)" }

    private static func isValidAuthority(_ authority: String) -> Bool {
        guard !authority.isEmpty, !authority.contains("@"), !authority.contains(where: \.isWhitespace) else {
            return false
        }
        var host = Substring(authority)
        var port: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return false }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return false }
                port = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            port = authority[authority.index(after: colon)...]
        }
        guard !host.isEmpty else { return false }
        if let port {
            guard let number = Int(port), (1...65535).contains(number) else { return false }
        }
        return true
    }
}

/// Why an upstream URL cannot be used.
public struct UpstreamURLError: Error, CustomStringConvertible {
    /// What is wrong, in a sentence.
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}
