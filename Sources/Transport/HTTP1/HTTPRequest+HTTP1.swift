import HTTPTypes
import NIOHTTP1

/// Why an HTTP/1.1 request head could not become an `HTTPRequest`; every case is answered with 400.
enum HTTP1HeadError: Error, Equatable {
    case invalidMethod
    case invalidFieldName
    case invalidTarget
    case invalidHost
}

extension HTTPRequest {
    /// Fields that describe one HTTP/1.1 connection hop rather than the request; HTTP/2 forbids them, so the shared
    /// pipeline never sees them.
    private static let hopByHopFields: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "expect",
    ]

    /// Converts a decoded HTTP/1.1 request head: method, `https` scheme, authority from `Host` (or an absolute-form
    /// target), path as received (still percent-encoded), and every end-to-end header field.
    ///
    /// - Throws: ``HTTP1HeadError`` for a method or field name that is not a token, a target that is neither
    ///   origin-form, absolute-form nor `*` (for `OPTIONS`), or a missing (HTTP/1.1) or repeated `Host`.
    init(http1 head: HTTPRequestHead) throws(HTTP1HeadError) {
        guard let method = HTTPRequest.Method(head.method.rawValue) else { throw .invalidMethod }
        let (targetAuthority, path) = try Self.split(target: head.uri, method: method)
        let hosts = head.headers["host"]
        guard hosts.count <= 1 else { throw .invalidHost }
        if hosts.isEmpty && head.version != .http1_0 && targetAuthority == nil { throw .invalidHost }

        let connectionTokens = http1Tokens(head.headers["connection"])
        var fields = HTTPFields()
        fields.reserveCapacity(head.headers.count)
        for (name, value) in head.headers {
            guard let fieldName = HTTPField.Name(name) else { throw .invalidFieldName }
            let canonical = fieldName.canonicalName
            if canonical == "host" || Self.hopByHopFields.contains(canonical) || connectionTokens.contains(canonical) {
                continue
            }
            fields.append(HTTPField(name: fieldName, value: value))
        }
        self.init(
            method: method,
            scheme: "https",
            authority: targetAuthority ?? hosts.first,
            path: path,
            headerFields: fields
        )
    }

    /// Splits a request target into the authority it names (absolute-form only) and the path with query.
    private static func split(target: String, method: Method) throws(HTTP1HeadError) -> (String?, String) {
        if target.hasPrefix("/") { return (nil, target) }
        if target == "*" {
            guard method == .options else { throw .invalidTarget }
            return (nil, target)
        }
        // absolute-form (RFC 9112 §3.2.2): servers must accept it; the authority replaces Host.
        guard let colon = target.firstIndex(of: ":") else { throw .invalidTarget }
        let scheme = target[..<colon].lowercased()
        let afterScheme = target[target.index(after: colon)...]
        guard scheme == "https" || scheme == "http", afterScheme.hasPrefix("//") else { throw .invalidTarget }
        let rest = afterScheme.dropFirst(2)
        let pathStart = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = String(rest[..<pathStart])
        guard !authority.isEmpty else { throw .invalidTarget }
        let path = rest[pathStart...]
        if path.isEmpty { return (authority, "/") }
        return (authority, path.hasPrefix("/") ? String(path) : "/" + path)
    }
}
