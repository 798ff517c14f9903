import HTTPTypes

extension HTTP1HeadParser {
    /// Splits a request target into the authority it names (absolute-form only) and the path with query, still
    /// percent-encoded.
    ///
    /// - Throws: ``HTTP1ParseError/invalidTarget`` for a target that is neither origin-form (`/…`), absolute-form
    ///   with a valid authority (`https://host/…`, ``HostValidation``) nor `*` for `OPTIONS`.
    static func split(target: String, method: HTTPRequest.Method) throws(HTTP1ParseError) -> (String?, String) {
        if target.utf8.first == UInt8(ascii: "/") { return (nil, target) }
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
        guard HostValidation.isValidAuthority(authority) else { throw .invalidTarget }
        let path = rest[pathStart...]
        if path.isEmpty { return (authority, "/") }
        return (authority, path.hasPrefix("/") ? String(path) : "/" + path)
    }
}
