package import CNghttp2
import HTTPTypes

/// A header block ready for nghttp2: pseudo-header fields first, lowercase names, no connection-specific
/// fields (RFC 9113 §8.2.2). The server builds response blocks; the client (module `Client`) request blocks.
package struct HTTP2HeaderBlock {
    /// Fields that RFC 9113 §8.2.2 forbids in HTTP/2.
    static let connectionSpecific: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade",
    ]

    private var storage: [UInt8] = []
    private var fields: [(name: Range<Int>, value: Range<Int>)] = []

    /// Builds the block for `head`, adding `content-length` when absent (except for 1xx, 204 and 304).
    init(response head: HTTPResponse, bodyLength: Int) {
        let code = head.status.code
        self.append(name: ":status", value: String(code))
        let hasContentLength = self.appendFields(head.headerFields)
        let forbidsLength = code == 204 || code == 304 || (100..<200).contains(code)
        if !hasContentLength && !forbidsLength {
            self.append(name: "content-length", value: String(bodyLength))
        }
    }

    /// Appends the HTTP/2-legal fields of `fields`; returns whether one was `content-length`.
    mutating func appendFields(_ fields: HTTPFields) -> Bool {
        var hasContentLength = false
        for field in fields {
            let name = field.name.canonicalName  // already lowercase
            if Self.connectionSpecific.contains(name) || name == "host" { continue }
            if name == "te" && field.value.lowercased() != "trailers" { continue }
            if field.name == .contentLength { hasContentLength = true }
            self.append(name: name, value: field.value)
        }
        return hasContentLength
    }

    mutating func append(name: String, value: String) {
        let nameStart = self.storage.count
        self.storage.append(contentsOf: name.utf8)
        let valueStart = self.storage.count
        self.storage.append(contentsOf: value.utf8)
        self.fields.append((nameStart..<valueStart, valueStart..<self.storage.count))
    }

    /// Lends the block as an `nghttp2_nv` array; nghttp2 copies it during submission.
    package func withNameValuePairs<T>(_ body: (UnsafeMutableBufferPointer<nghttp2_nv>) -> T) -> T {
        var storage = self.storage
        return storage.withUnsafeMutableBufferPointer { bytes in
            // Never empty: a pseudo-header field (`:status`, `:method`) always comes first.
            guard let base = bytes.baseAddress else { preconditionFailure("header block without pseudo-headers") }
            var nva = self.fields.map { field in
                nghttp2_nv(
                    name: base + field.name.lowerBound,
                    value: base + field.value.lowerBound,
                    namelen: field.name.count,
                    valuelen: field.value.count,
                    flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue)
                )
            }
            return nva.withUnsafeMutableBufferPointer { body($0) }
        }
    }
}
