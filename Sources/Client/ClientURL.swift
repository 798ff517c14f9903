import Foundation
import GatehouseCertificates

/// An `https://` or `http://host[:port][/path][?query]` URL split into what a request needs.
struct ClientURL: Equatable {
    /// `https` or `http`, lower-case.
    var scheme: String
    /// `host:port` as given (brackets kept for IPv6).
    var authority: String
    /// The path with its query; `/` when the URL has none.
    var path: String

    /// Splits `url`.
    /// - Throws: ``ClientError/Code/invalidRequest`` for anything but an `https` or `http` URL with a host.
    init(_ url: String) throws {
        let invalid = ClientError(.invalidRequest, "not an https or http URL: \(url)")
        guard let schemeEnd = url.range(of: "://") else { throw invalid }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "https" || scheme == "http" else { throw invalid }
        let rest = url[schemeEnd.upperBound...]
        let pathStart = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = String(rest[..<pathStart])
        guard Self.origin(authority: authority, isSecure: scheme == "https") != nil else { throw invalid }
        var path = String(rest[pathStart...].prefix { $0 != "#" })
        if path.isEmpty { path = "/" } else if path.hasPrefix("?") { path = "/" + path }
        self.scheme = scheme
        self.authority = authority
        self.path = path
    }

    /// Refuses a host whose certificate check could not be what it looks like: a bracketed host that is no IPv6
    /// address, or a shorthand IPv4 form the resolver accepts (`127.1`, `2130706433`, `0x7f.0.0.1`,
    /// `127.000.000.001`) that would be connected to as an address but is no dotted quad to check an IP SAN against.
    /// - Throws: ``ClientError/Code/invalidRequest`` naming the host.
    static func checkHost(_ origin: ClientConnection.Origin, bracketed: Bool) throws {
        let host = origin.host
        if bracketed || host.contains(":") {
            guard isIPAddressLiteral(host), host.contains(":") else {
                throw ClientError(.invalidRequest, "[\(host)] is not an IPv6 address")
            }
            return
        }
        var address = in_addr()
        if !isIPAddressLiteral(host) && inet_aton(host, &address) != 0 {
            throw ClientError(
                .invalidRequest,
                "\(host) is not an IP address in dotted-quad form (write it as four decimal numbers, e.g. 127.0.0.1)"
            )
        }
    }

    /// The host (without brackets) and port of an authority; port 443 (`http`: 80) when absent. `nil` when malformed.
    static func origin(authority: String, isSecure: Bool = true) -> ClientConnection.Origin? {
        let hostPort = authority.split(separator: "@").last.map(String.init) ?? authority
        var host: Substring
        var portText: Substring?
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { return nil }
            host = hostPort[hostPort.index(after: hostPort.startIndex)..<close]
            let after = hostPort[hostPort.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return nil }
                portText = after.dropFirst()
            }
        } else if let colon = hostPort.lastIndex(of: ":") {
            host = hostPort[..<colon]
            portText = hostPort[hostPort.index(after: colon)...]
        } else {
            host = hostPort[...]
        }
        guard !host.isEmpty else { return nil }
        let port = portText.map { Int($0) } ?? (isSecure ? 443 : 80)
        guard let port, (1...65535).contains(port) else { return nil }
        return ClientConnection.Origin(host: String(host), port: port, isSecure: isSecure)
    }
}
