#if canImport(Glibc)
    import Glibc
#endif

/// The byte classes of RFC 9110 §5.6 and RFC 9112 that the HTTP/1.x parser checks, byte by byte.
package enum HTTP1Syntax {
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let space: UInt8 = 0x20
    static let tab: UInt8 = 0x09
    static let colon: UInt8 = 0x3A
    static let comma: UInt8 = 0x2C
    static let semicolon: UInt8 = 0x3B

    /// The offset of the first LF in `bytes[start..<end]`, or `nil`; found with `memchr`, which looks at many
    /// bytes per step where a Swift loop looks at one.
    static func firstLF(in bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) -> Int? {
        guard start < end, let base = bytes.baseAddress else { return nil }
        precondition(start >= 0 && end <= bytes.count, "range outside the buffer")
        guard let found = memchr(base + start, Int32(Self.lf), end - start) else { return nil }
        return base.distance(to: UnsafeRawPointer(found))
    }

    /// `tchar` (RFC 9110 §5.6.2): the characters of a token (method, field name, coding).
    package static func isToken(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }

    /// A byte of a field value or chunk extension: `VCHAR`, `obs-text`, space or tab; never CR, LF, NUL, DEL or
    /// another control character.
    static func isFieldContent(_ byte: UInt8) -> Bool {
        byte == Self.tab || (byte >= 0x20 && byte != 0x7F)
    }

    /// A byte of a request target: visible ASCII only (RFC 3986 characters and the few that clients leave
    /// unencoded); no spaces, controls or non-ASCII.
    static func isTargetCharacter(_ byte: UInt8) -> Bool {
        byte > 0x20 && byte < 0x7F
    }

    /// Optional whitespace (`OWS`): space or tab.
    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == Self.space || byte == Self.tab
    }

    /// Whether `bytes[range]` equals `lowercased` (lower-case ASCII letters and `-` only), ignoring case.
    static func equalsIgnoringCase(
        _ bytes: UnsafeRawBufferPointer,
        _ range: Range<Int>,
        _ lowercased: StaticString
    ) -> Bool {
        guard range.count == lowercased.utf8CodeUnitCount else { return false }
        let expected = lowercased.utf8Start
        for offset in 0..<range.count {
            // `| 0x20` folds A–Z onto a–z; for the other bytes of a token it only matches themselves.
            guard bytes[range.lowerBound + offset] | 0x20 == expected[offset] else { return false }
        }
        return true
    }

    /// `range` without leading and trailing spaces and tabs.
    static func trimmingWhitespace(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Range<Int> {
        var lower = range.lowerBound
        var upper = range.upperBound
        while lower < upper && Self.isWhitespace(bytes[lower]) { lower += 1 }
        while upper > lower && Self.isWhitespace(bytes[upper - 1]) { upper -= 1 }
        return lower..<upper
    }

    /// Calls `body` with each element of the comma-separated list in `bytes[range]`, trimmed of whitespace; empty
    /// elements are passed too (as empty ranges), so a caller can refuse them.
    static func forEachListElement(
        _ bytes: UnsafeRawBufferPointer,
        _ range: Range<Int>,
        _ body: (Range<Int>) throws(HTTP1ParseError) -> Void
    ) throws(HTTP1ParseError) {
        var start = range.lowerBound
        var index = range.lowerBound
        while index <= range.upperBound {
            if index == range.upperBound || bytes[index] == Self.comma {
                try body(Self.trimmingWhitespace(bytes, start..<index))
                start = index + 1
            }
            index += 1
        }
    }
}
