package import CNghttp2
import HTTPTypes

/// A header block ready for nghttp2: pseudo-header fields first, lowercase names, no connection-specific
/// fields (RFC 9113 §8.2.2). The server builds response blocks; the client (module `Client`) request blocks.
///
/// Holds the head's values as they are (no copies); ``withNameValuePairs(_:)`` lays the block out in
/// temporary memory for the one call that submits it, so building and submitting a block allocates nothing.
package struct HTTP2HeaderBlock {
    enum PseudoHeaders {
        case response(status: Int)
        case request(method: String, scheme: String, authority: String?, path: String)
    }

    let pseudoHeaders: PseudoHeaders
    let fields: HTTPFields
    /// The `content-length` to add after the fields, when the head has none of its own.
    let addedContentLength: Int?
    /// Where a response block takes its `date` from, when the head has none of its own; `nil` for requests.
    let date: HTTPDate?

    /// Builds the block for `head`, adding `content-length` when absent (except for 1xx, 204 and 304) and `date`
    /// when absent. `date` is the calling thread's (``HTTPDate/current``); a handler bound to one event loop
    /// passes the one it keeps, which spares the thread-local lookup per response.
    init(response head: HTTPResponse, bodyLength: Int, date: HTTPDate = .current) {
        let code = head.status.code
        let forbidsLength = code == 204 || code == 304 || (100..<200).contains(code)
        self.pseudoHeaders = .response(status: code)
        self.fields = head.headerFields
        self.addedContentLength = forbidsLength || Self.hasContentLength(head.headerFields) ? nil : bodyLength
        self.date = date
    }

    /// Builds the block for the head of a response whose body streams: `content-length` is added only when
    /// `contentLength` is known (and the head has none), `date` when absent.
    init(streamingResponse head: HTTPResponse, contentLength: Int?, date: HTTPDate) {
        let code = head.status.code
        let forbidsLength = code == 204 || code == 304 || (100..<200).contains(code)
        self.pseudoHeaders = .response(status: code)
        self.fields = head.headerFields
        self.addedContentLength = forbidsLength || Self.hasContentLength(head.headerFields) ? nil : contentLength
        self.date = date
    }

    init(pseudoHeaders: PseudoHeaders, fields: HTTPFields, addedContentLength: Int?) {
        self.pseudoHeaders = pseudoHeaders
        self.fields = fields
        self.addedContentLength = addedContentLength
        self.date = nil
    }

    static func hasContentLength(_ fields: HTTPFields) -> Bool {
        fields.contains { $0.name == .contentLength }
    }

    /// Lends the block as an `nghttp2_nv` array; nghttp2 copies it during submission.
    package func withNameValuePairs<T>(_ body: (UnsafeMutableBufferPointer<nghttp2_nv>) -> T) -> T {
        // Most blocks fit a small stack buffer and are laid out in one pass; larger ones are measured first.
        if self.fields.count + 5 <= Self.smallFieldCount {
            let result = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.smallByteCount) { bytes in
                withUnsafeTemporaryAllocation(of: nghttp2_nv.self, capacity: Self.smallFieldCount) { nva in
                    self.layOut(into: bytes, nva).map(body)
                }
            }
            if let result { return result }
        }
        var count = 0
        var byteCount = 0
        self.forEachField { name, value in
            count += 1
            byteCount += name.count + value.count
        }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: byteCount) { bytes in
            withUnsafeTemporaryAllocation(of: nghttp2_nv.self, capacity: count) { nva in
                guard let laidOut = self.layOut(into: bytes, nva) else { preconditionFailure("header block grew") }
                return body(laidOut)
            }
        }
    }

    /// The field count and byte size up to which a block is laid out in one pass. Each buffer stays within
    /// 1 KiB, the most that `withUnsafeTemporaryAllocation` always takes from the stack (24 × 40-byte entries).
    private static let smallFieldCount = 24
    private static let smallByteCount = 1024

    /// Copies the fields into `bytes` and points `nva` at them; `nil` when `bytes` or `nva` is too small.
    private func layOut(
        into bytes: UnsafeMutableBufferPointer<UInt8>,
        _ nva: UnsafeMutableBufferPointer<nghttp2_nv>
    ) -> UnsafeMutableBufferPointer<nghttp2_nv>? {
        guard let base = bytes.baseAddress else { return nil }
        var index = 0
        var offset = 0
        var fits = true
        self.forEachField { name, value in
            guard fits, index < nva.count, offset + name.count + value.count <= bytes.count else {
                fits = false
                return
            }
            let nameStart = base + offset
            offset = bytes[offset...].initialize(fromContentsOf: name)
            let valueStart = base + offset
            offset = bytes[offset...].initialize(fromContentsOf: value)
            let field = nghttp2_nv(
                name: nameStart,
                value: valueStart,
                namelen: name.count,
                valuelen: value.count,
                flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue)
            )
            nva.initializeElement(at: index, to: field)
            index += 1
        }
        return fits ? UnsafeMutableBufferPointer(rebasing: nva[..<index]) : nil
    }

    /// Calls `body` with each field's name and value bytes, in block order.
    private func forEachField(_ body: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>) -> Void) {
        switch self.pseudoHeaders {
        case .response(let status):
            Self.withDecimal(status) { body(Self.bytes(":status"), $0) }
        case .request(let method, let scheme, let authority, let path):
            Self.withBytes(method) { body(Self.bytes(":method"), $0) }
            Self.withBytes(scheme) { body(Self.bytes(":scheme"), $0) }
            if let authority { Self.withBytes(authority) { body(Self.bytes(":authority"), $0) } }
            Self.withBytes(path) { body(Self.bytes(":path"), $0) }
        }
        var hasDate = false
        for field in self.fields where Self.isAllowed(field, hasDate: &hasDate) {
            Self.withBytes(field.name.canonicalName) { name in  // already lowercase
                field.withUnsafeBytesOfValue { body(name, $0) }
            }
        }
        if let length = self.addedContentLength {
            Self.withDecimal(length) { body(Self.bytes("content-length"), $0) }
        }
        if let date = self.date, !hasDate {
            // RFC 9110 §6.6.1: an origin server with a clock sends `date`; formatted once a second per thread.
            date.now().withUnsafeBufferPointer { body(Self.bytes("date"), $0) }
        }
    }

    /// False for fields that RFC 9113 §8.2.2 forbids in HTTP/2 (`te` is allowed only as `trailers`), and for
    /// `host`, which `:authority` replaces.
    static func isAllowed(_ field: HTTPField) -> Bool {
        var hasDate = false
        return Self.isAllowed(field, hasDate: &hasDate)
    }

    /// ``isAllowed(_:)``, noting in `hasDate` a `date` field met on the way (it shares the length switch).
    private static func isAllowed(_ field: HTTPField, hasDate: inout Bool) -> Bool {
        let name = field.name.canonicalName
        switch name.utf8.count {
        case 2: return name != "te" || field.value.lowercased() == "trailers"
        case 4:
            if name == "date" { hasDate = true }
            return name != "host"
        case 7: return name != "upgrade"
        case 10: return name != "connection" && name != "keep-alive"
        case 16: return name != "proxy-connection"
        case 17: return name != "transfer-encoding"
        default: return true
        }
    }

    private static func bytes(_ name: StaticString) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
    }

    private static func withBytes(_ string: String, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        var string = string
        string.withUTF8(body)
    }

    /// Calls `body` with the decimal digits of `value` (not negative), formatted in temporary memory.
    private static func withDecimal(_ value: Int, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var remaining = value.magnitude
            var start = digits.count
            repeat {
                start -= 1
                digits.initializeElement(at: start, to: UInt8(ascii: "0") + UInt8(remaining % 10))
                remaining /= 10
            } while remaining > 0
            body(UnsafeBufferPointer(rebasing: digits[start...]))
        }
    }
}
