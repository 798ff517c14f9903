import Foundation
public import HTTPTypes

/// What a proxy removes from and adds to the header fields it passes on.
public enum ForwardingHeaders {
    /// Hop-by-hop fields (RFC 9110 §7.6.1, RFC 9112 §7.4, the legacy `Keep-Alive` and `Proxy-Connection`), which
    /// belong to one connection and never go further; the fields `Connection` names are removed too.
    public static let hopByHop: Set<HTTPField.Name> = [
        .connection, HTTPField.Name("Keep-Alive")!, HTTPField.Name("Proxy-Connection")!, .te,
        .transferEncoding, .upgrade, HTTPField.Name("Trailer")!, .proxyAuthorization, .proxyAuthenticate,
    ]

    /// The X-Forwarded-For field.
    public static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
    /// The X-Forwarded-Proto field.
    public static let xForwardedProto = HTTPField.Name("X-Forwarded-Proto")!
    /// The RFC 7239 Forwarded field.
    public static let forwarded = HTTPField.Name("Forwarded")!

    /// `fields` without hop-by-hop fields, the fields their `Connection` names, and `removing`.
    public static func endToEnd(_ fields: HTTPFields, removing: [HTTPField.Name] = []) -> HTTPFields {
        var dropped = Self.hopByHop.union(removing)
        for value in fields[values: .connection] {
            for token in value.split(separator: ",") {
                let name = token.trimmingCharacters(in: .whitespaces)
                if let name = HTTPField.Name(name) { dropped.insert(name) }
            }
        }
        return HTTPFields(fields.filter { !dropped.contains($0.name) })
    }

    /// Adds `Forwarded` (RFC 7239: `for`, `proto`, `host`) after any the request had, appends the client's address
    /// to `X-Forwarded-For`, and sets `X-Forwarded-Proto`.
    /// - Parameters:
    ///   - clientAddress: the client's IP address, without port; `nil` when unknown (`for=unknown`).
    ///   - proto: `https` or `http`, how the client reached the gateway.
    ///   - host: the `Host` (authority) the client asked for.
    public static func addForwarding(to fields: inout HTTPFields, clientAddress: String?, proto: String, host: String?)
    {
        var element = "for=" + Self.forwardedNode(clientAddress) + ";proto=" + proto
        if let host, !host.isEmpty { element += ";host=" + Self.forwardedValue(host) }
        let forwarded = fields[values: Self.forwarded] + [element]
        fields[values: Self.forwarded] = [forwarded.joined(separator: ", ")]
        if let clientAddress {
            let chain = fields[values: Self.xForwardedFor] + [clientAddress]
            fields[values: Self.xForwardedFor] = [chain.joined(separator: ", ")]
        }
        fields[Self.xForwardedProto] = proto
    }

    /// RFC 7239 §6: an IPv6 node is bracketed and quoted; unknown is `unknown`.
    private static func forwardedNode(_ address: String?) -> String {
        guard let address else { return "unknown" }
        return address.contains(":") ? "\"[\(address)]\"" : address
    }

    /// A token as it is, anything else as a quoted-string.
    private static func forwardedValue(_ value: String) -> String {
        let tchar = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
        if value.allSatisfy(tchar.contains) { return value }
        return "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            + "\""
    }
}
