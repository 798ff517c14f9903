import GatehouseTransport
public import HTTPTypes

/// What a proxy removes from and adds to the header fields it passes on.
public enum ForwardingHeaders {
    /// Hop-by-hop fields (RFC 9110 §7.6.1, RFC 9112 §7.4, the legacy `Keep-Alive` and `Proxy-Connection`), which
    /// belong to one connection and never go further; the fields `Connection` names are removed too.
    public static let hopByHop: Set<HTTPField.Name> = [
        .connection, HTTPField.Name("Keep-Alive")!, HTTPField.Name("Proxy-Connection")!, .te,
        .transferEncoding, .upgrade, HTTPField.Name("Trailer")!, .proxyAuthorization, .proxyAuthenticate,
    ]

    /// What a gateway removes from a request besides hop-by-hop fields: any forwarded certificate the client sent,
    /// and `Host` (the request goes with the upstream's authority).
    public static let replacedInRequests: [HTTPField.Name] = ForwardedCertificateFields.all + [HTTPField.Name("Host")!]

    /// The X-Forwarded-For field.
    public static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
    /// The X-Forwarded-Proto field.
    public static let xForwardedProto = HTTPField.Name("X-Forwarded-Proto")!
    /// The RFC 7239 Forwarded field.
    public static let forwarded = HTTPField.Name("Forwarded")!

    /// `fields` without hop-by-hop fields, the fields their `Connection` names, and `removing`.
    ///
    /// Returns `fields` itself (no copy) when there is nothing to remove, as for most requests and responses.
    public static func endToEnd(_ fields: HTTPFields, removing: [HTTPField.Name] = []) -> HTTPFields {
        var named: [HTTPField.Name] = []
        for value in fields[values: .connection] {
            for token in value.split(separator: ",") {
                let name = token.trimmingOWS()
                if !name.isEmpty, let name = HTTPField.Name(String(name)) { named.append(name) }
            }
        }
        func isDropped(_ name: HTTPField.Name) -> Bool {
            Self.hopByHop.contains(name) || removing.contains(name) || named.contains(name)
        }
        guard fields.contains(where: { isDropped($0.name) }) else { return fields }
        var kept = HTTPFields()
        kept.reserveCapacity(fields.count)
        for field in fields where !isDropped(field.name) { kept.append(field) }
        return kept
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
        Self.append(element, to: &fields, name: Self.forwarded)
        if let clientAddress { Self.append(clientAddress, to: &fields, name: Self.xForwardedFor) }
        if fields.contains(where: { $0.name == Self.xForwardedProto }) {
            fields[Self.xForwardedProto] = proto
        } else {
            fields.append(HTTPField(name: Self.xForwardedProto, value: proto))
        }
    }

    /// Appends `value` to the list field `name`: one field, the earlier values first, comma-separated.
    private static func append(_ value: String, to fields: inout HTTPFields, name: HTTPField.Name) {
        guard fields.contains(where: { $0.name == name }) else {
            fields.append(HTTPField(name: name, value: value))
            return
        }
        fields[values: name] = [(fields[values: name] + [value]).joined(separator: ", ")]
    }

    /// RFC 7239 §6: an IPv6 node is bracketed and quoted; unknown is `unknown`.
    private static func forwardedNode(_ address: String?) -> String {
        guard let address else { return "unknown" }
        return address.utf8.contains(UInt8(ascii: ":")) ? "\"[" + address + "]\"" : address
    }

    /// A token as it is, anything else as a quoted-string (`"` and `\` escaped).
    private static func forwardedValue(_ value: String) -> String {
        if value.utf8.allSatisfy(HTTP1Syntax.isToken) { return value }
        var quoted = [UInt8]()
        quoted.reserveCapacity(value.utf8.count + 2)
        quoted.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { quoted.append(UInt8(ascii: "\\")) }
            quoted.append(byte)
        }
        quoted.append(UInt8(ascii: "\""))
        return String(decoding: quoted, as: UTF8.self)
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs (RFC 9110's OWS).
    fileprivate func trimmingOWS() -> Substring {
        let isOWS: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = self.firstIndex(where: { !isOWS($0) }), let last = self.lastIndex(where: { !isOWS($0) })
        else { return "" }
        return self[first...last]
    }
}
