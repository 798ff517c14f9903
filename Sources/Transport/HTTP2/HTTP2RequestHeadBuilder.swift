import HTTPTypes

/// Collects the header fields of one HTTP/2 request and turns them into an `HTTPRequest`.
///
/// Counts the header list size as RFC 9113 §6.5.2 does (name + value + 32 per field) so the
/// stream machine can answer 431 without keeping an oversized block in memory.
struct HTTP2RequestHeadBuilder {
    /// The header list size seen so far, including fields that were dropped after the limit.
    private(set) var headerListSize = 0
    /// True once the fields exceeded the limit; the collected fields are then dropped.
    private(set) var isOversized = false
    /// True when a field could not be represented or a pseudo-header was repeated, unknown or late.
    private(set) var isMalformed = false

    private let maxHeaderListSize: Int
    private var method: String?
    private var scheme: String?
    private var authority: String?
    private var path: String?
    private var fields = HTTPFields()

    init(maxHeaderListSize: Int) {
        self.maxHeaderListSize = maxHeaderListSize
    }

    /// Adds one field as it came off the wire (names are already lowercase: nghttp2 checks that).
    ///
    /// Values stay bytes: obs-text survives unchanged instead of being decoded as UTF-8.
    mutating func append(name: String, value: some Collection<UInt8>) {
        self.headerListSize += name.utf8.count + value.count + 32
        if self.headerListSize > self.maxHeaderListSize {
            // Stop collecting: the request is answered with 431 and its fields are never read.
            self.isOversized = true
            self.fields = HTTPFields()
            return
        }
        guard !self.isOversized, !self.isMalformed else { return }
        if name.hasPrefix(":") {
            self.appendPseudo(name: name, value: String(decoding: value, as: UTF8.self))
        } else if let fieldName = HTTPField.Name(name) {
            self.fields.append(HTTPField(name: fieldName, value: value))
        } else {
            self.isMalformed = true
        }
    }

    private mutating func appendPseudo(name: String, value: String) {
        // RFC 9113 §8.3: pseudo-header fields come first and appear once.
        guard self.fields.isEmpty else {
            self.isMalformed = true
            return
        }
        switch name {
        case ":method" where self.method == nil: self.method = value
        case ":scheme" where self.scheme == nil: self.scheme = value
        case ":authority" where self.authority == nil: self.authority = value
        case ":path" where self.path == nil: self.path = value
        default: self.isMalformed = true
        }
    }

    /// The request head, or `nil` when the pseudo-headers are missing or invalid (→ PROTOCOL_ERROR).
    func build() -> HTTPRequest? {
        guard !self.isMalformed, let rawMethod = self.method, let method = HTTPRequest.Method(rawMethod) else {
            return nil
        }
        if method == .connect {
            // Plain CONNECT (RFC 9113 §8.5) names only an authority.
            guard self.authority != nil, self.scheme == nil, self.path == nil else { return nil }
        } else {
            guard self.scheme != nil, let path = self.path, !path.isEmpty else { return nil }
        }
        return HTTPRequest(
            method: method,
            scheme: self.scheme,
            authority: self.authority,
            path: self.path,
            headerFields: self.fields
        )
    }
}
