public import GatehouseTransport

#if canImport(Glibc)
    import Glibc
#endif

extension Request {
    /// The query string decoded as an HTML form: `%XX` escapes and `+` as a space.
    ///
    /// Decoded when read: looking up one name allocates nothing but the value (and not even that for a value
    /// of up to 15 UTF-8 bytes).
    public var query: QueryParameters { QueryParameters(self.rawQuery) }
}

/// Decoded `name=value` pairs of a query string, in order.
public struct QueryParameters: Sendable, Hashable {
    /// The query as it came, still encoded; every read decodes what it needs.
    private let encoded: Substring

    /// Every pair in the order it appeared; a name without `=` has an empty value.
    public var pairs: [(name: String, value: String)] {
        var pairs: [(name: String, value: String)] = []
        self.forEachPair { name, value in
            pairs.append((percentDecoded(name, plusAsSpace: true), percentDecoded(value, plusAsSpace: true)))
            return true
        }
        return pairs
    }

    /// Wraps `query` (without the leading `?`).
    public init(_ query: Substring) {
        self.encoded = query
    }

    /// The first value for `name`, or `nil`.
    public subscript(name: String) -> String? {
        var found: String?
        self.forEachPair { encodedName, value in
            guard Self.decodedName(encodedName, equals: name) else { return true }
            found = percentDecoded(value, plusAsSpace: true)
            return false
        }
        return found
    }

    /// Every value for `name`, in order.
    public func values(for name: String) -> [String] {
        var values: [String] = []
        self.forEachPair { encodedName, value in
            if Self.decodedName(encodedName, equals: name) { values.append(percentDecoded(value, plusAsSpace: true)) }
            return true
        }
        return values
    }

    /// Equal when the decoded pairs are, in order: `a=%41` equals `a=A`.
    public static func == (lhs: QueryParameters, rhs: QueryParameters) -> Bool {
        lhs.pairs.elementsEqual(rhs.pairs) { $0.name == $1.name && $0.value == $1.value }
    }

    /// Hashes the decoded pairs in order, as `==` compares them.
    public func hash(into hasher: inout Hasher) {
        for pair in self.pairs {
            hasher.combine(pair.name)
            hasher.combine(pair.value)
        }
    }

    /// Calls `body` with each still-encoded `name=value` pair's bytes, in order, skipping empty parts (a bare name
    /// has an empty value), until it returns `false`.
    ///
    /// Walks the query's UTF-8 bytes in place: `&` and `=` are ASCII, and String indices would cost more than the
    /// lookup itself.
    private func forEachPair(_ body: (_ name: Bytes, _ value: Bytes) -> Bool) {
        var query = self.encoded
        query.withUTF8 { bytes in
            var start = 0
            while start < bytes.count {
                let end = bytes[start...].firstIndex(of: UInt8(ascii: "&")) ?? bytes.count
                defer { start = end + 1 }
                guard end > start else { continue }
                let part = bytes[start..<end]
                let equals = part.firstIndex(of: UInt8(ascii: "=")) ?? end
                let value = equals == end ? part[end...] : part[(equals + 1)...]
                guard body(part[..<equals], value) else { return }
            }
        }
    }

    private typealias Bytes = Slice<UnsafeBufferPointer<UInt8>>

    /// Whether the encoded `encodedName` decodes to `name`, without decoding when it has nothing to decode.
    private static func decodedName(_ encodedName: Bytes, equals name: String) -> Bool {
        let needsDecoding = encodedName.contains { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }
        if needsDecoding { return percentDecoded(encodedName, plusAsSpace: true) == name }
        guard encodedName.count == name.utf8.count else { return false }
        let equal = name.utf8.withContiguousStorageIfAvailable { name in
            name.isEmpty
                || memcmp(name.baseAddress!, encodedName.base.baseAddress! + encodedName.startIndex, name.count) == 0
        }
        return equal ?? encodedName.elementsEqual(name.utf8)
    }
}

/// Decodes `%XX` escapes (and `+` when `plusAsSpace`); a malformed escape is kept as it is, and invalid
/// UTF-8 becomes U+FFFD.
func percentDecoded(_ text: Substring, plusAsSpace: Bool) -> String {
    percentDecoded(text.utf8, plusAsSpace: plusAsSpace)
}

/// ``percentDecoded(_:plusAsSpace:)`` over UTF-8 bytes.
func percentDecoded<Bytes: Collection<UInt8>>(_ utf8: Bytes, plusAsSpace: Bool) -> String {
    guard utf8.contains(where: { $0 == UInt8(ascii: "%") || (plusAsSpace && $0 == UInt8(ascii: "+")) }) else {
        return String(decoding: utf8, as: UTF8.self)
    }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(utf8.count)
    var index = utf8.startIndex
    while index < utf8.endIndex {
        let byte = utf8[index]
        if byte == UInt8(ascii: "%"),
            let high = utf8.index(index, offsetBy: 1, limitedBy: utf8.endIndex), high < utf8.endIndex,
            let low = utf8.index(index, offsetBy: 2, limitedBy: utf8.endIndex), low < utf8.endIndex,
            let value = hexValue(utf8[high]).flatMap({ h in hexValue(utf8[low]).map { h << 4 | $0 } })
        {
            bytes.append(value)
            index = utf8.index(after: low)
            continue
        }
        bytes.append(plusAsSpace && byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
        index = utf8.index(after: index)
    }
    return String(decoding: bytes, as: UTF8.self)
}

private func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
    default: nil
    }
}
