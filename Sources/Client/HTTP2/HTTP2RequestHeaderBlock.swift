import CNghttp2
import HTTPTypes

/// A request header block ready for nghttp2: pseudo-header fields first, lowercase names, no connection-specific
/// fields (RFC 9113 §8.2.2, §8.3.1).
struct HTTP2RequestHeaderBlock {
    private static let connectionSpecific: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "host",
    ]

    private var storage: [UInt8] = []
    private var fields: [(name: Range<Int>, value: Range<Int>)] = []

    /// Builds the block for `head`; `content-length` is added for a body when the head has none.
    init(request head: HTTPRequest, bodyLength: Int) {
        self.append(name: ":method", value: head.method.rawValue)
        self.append(name: ":scheme", value: head.scheme ?? "https")
        if let authority = head.authority { self.append(name: ":authority", value: authority) }
        self.append(name: ":path", value: head.path ?? "/")
        var hasContentLength = false
        for field in head.headerFields {
            let name = field.name.canonicalName
            if Self.connectionSpecific.contains(name) { continue }
            if name == "te" && field.value.lowercased() != "trailers" { continue }
            if field.name == .contentLength { hasContentLength = true }
            self.append(name: name, value: field.value)
        }
        if !hasContentLength && (bodyLength > 0 || [.post, .put, .patch].contains(head.method)) {
            self.append(name: "content-length", value: String(bodyLength))
        }
    }

    private mutating func append(name: String, value: String) {
        let nameStart = self.storage.count
        self.storage.append(contentsOf: name.utf8)
        let valueStart = self.storage.count
        self.storage.append(contentsOf: value.utf8)
        self.fields.append((nameStart..<valueStart, valueStart..<self.storage.count))
    }

    /// Lends the block as an `nghttp2_nv` array; nghttp2 copies it during submission.
    func withNameValuePairs<T>(_ body: (UnsafeMutableBufferPointer<nghttp2_nv>) -> T) -> T {
        var storage = self.storage
        return storage.withUnsafeMutableBufferPointer { bytes in
            // Never empty: `:method` is always the first field.
            guard let base = bytes.baseAddress else { preconditionFailure("header block without :method") }
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
