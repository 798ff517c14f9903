public import Transport

extension Request {
    /// The query string decoded as an HTML form: `%XX` escapes and `+` as a space.
    ///
    /// Parsed on each access; read it once per request.
    public var query: QueryParameters { QueryParameters(self.rawQuery) }
}

/// Decoded `name=value` pairs of a query string, in order.
public struct QueryParameters: Sendable, Hashable {
    /// Every pair in the order it appeared; a name without `=` has an empty value.
    public let pairs: [(name: String, value: String)]

    /// Parses `query` (without the leading `?`).
    public init(_ query: Substring) {
        var pairs: [(name: String, value: String)] = []
        for part in query.split(separator: "&", omittingEmptySubsequences: true) {
            if let equals = part.firstIndex(of: "=") {
                pairs.append((
                    percentDecoded(part[..<equals], plusAsSpace: true),
                    percentDecoded(part[part.index(after: equals)...], plusAsSpace: true)
                ))
            } else {
                pairs.append((percentDecoded(part, plusAsSpace: true), ""))
            }
        }
        self.pairs = pairs
    }

    /// The first value for `name`, or `nil`.
    public subscript(name: String) -> String? {
        self.pairs.first { $0.name == name }?.value
    }

    /// Every value for `name`, in order.
    public func values(for name: String) -> [String] {
        self.pairs.filter { $0.name == name }.map(\.value)
    }

    public static func == (lhs: QueryParameters, rhs: QueryParameters) -> Bool {
        lhs.pairs.elementsEqual(rhs.pairs) { $0.name == $1.name && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        for pair in self.pairs {
            hasher.combine(pair.name)
            hasher.combine(pair.value)
        }
    }
}

/// Decodes `%XX` escapes (and `+` when `plusAsSpace`); a malformed escape is kept as it is, and invalid
/// UTF-8 becomes U+FFFD.
func percentDecoded(_ text: Substring, plusAsSpace: Bool) -> String {
    let utf8 = text.utf8
    guard utf8.contains(where: { $0 == UInt8(ascii: "%") || (plusAsSpace && $0 == UInt8(ascii: "+")) }) else {
        return String(text)
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
