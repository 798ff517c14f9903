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

    /// Room reserved for the regular fields at the first one: a typical request has a handful, and growing
    /// the array one step at a time would cost an allocation per doubling.
    private static let initialFieldCapacity = 8

    init(maxHeaderListSize: Int) {
        self.maxHeaderListSize = maxHeaderListSize
    }

    /// Adds one field as it came off the wire (names are already lowercase: nghttp2 checks that).
    ///
    /// Both are borrowed for the call. Values stay bytes: obs-text survives unchanged instead of being
    /// decoded as UTF-8.
    mutating func append(name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) {
        self.headerListSize += name.count + value.count + 32
        if self.headerListSize > self.maxHeaderListSize {
            // Stop collecting: the request is answered with 431 and its fields are never read.
            self.isOversized = true
            self.fields = HTTPFields()
            return
        }
        guard !self.isOversized, !self.isMalformed else { return }
        if name.first == UInt8(ascii: ":") {
            self.appendPseudo(name: name, value: value)
        } else if let fieldName = HTTP2FieldNames.common(name)
            ?? HTTPField.Name(parsed: String(decoding: name, as: UTF8.self))
        {
            if self.fields.isEmpty { self.fields.reserveCapacity(Self.initialFieldCapacity) }
            self.fields.append(HTTPField(name: fieldName, value: value))
        } else {
            self.isMalformed = true
        }
    }

    private mutating func appendPseudo(name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) {
        // RFC 9113 §8.3: pseudo-header fields come first and appear once.
        guard self.fields.isEmpty else {
            self.isMalformed = true
            return
        }
        if HTTP2FieldNames.equals(name, ":method"), self.method == nil {
            self.method = String(decoding: value, as: UTF8.self)
        } else if HTTP2FieldNames.equals(name, ":path"), self.path == nil {
            self.path = String(decoding: value, as: UTF8.self)
        } else if HTTP2FieldNames.equals(name, ":scheme"), self.scheme == nil {
            self.scheme = String(decoding: value, as: UTF8.self)
        } else if HTTP2FieldNames.equals(name, ":authority"), self.authority == nil,
            HostValidation.isValidAuthority(UnsafeRawBufferPointer(value))  // RFC 9113 §8.3.1: no userinfo
        {
            self.authority = String(decoding: value, as: UTF8.self)
        } else {
            self.isMalformed = true
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
