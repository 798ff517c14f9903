/// Checks the authority a request names: HTTP/1.1's `Host` field (RFC 9112 §3.2) or an absolute-form target,
/// and HTTP/2's `:authority` (RFC 9113 §8.3.1).
///
/// Valid is `host [ ":" port ]` of RFC 3986 §3.2.2–§3.2.3: `host` is a reg-name (unreserved characters,
/// percent-encodings and sub-delims, which covers IPv4 addresses), or an IPv6 address or IPvFuture in brackets;
/// `port` is digits, possibly none. Refused are userinfo (`user@host`: RFC 9110 §4.2.4 and RFC 9113 §8.3.1), an
/// empty host (RFC 9110 §4.2.2: an `https` URI must have one), zone identifiers, whitespace and anything else.
/// Allocation-free: one pass over the bytes.
package enum HostValidation {
    /// Whether `authority` is a valid `host [ ":" port ]`.
    package static func isValidAuthority(_ authority: String) -> Bool {
        var authority = authority
        return authority.withUTF8 { Self.isValidAuthority(UnsafeRawBufferPointer($0)) }
    }

    /// Whether `bytes` are a valid `host [ ":" port ]`.
    package static func isValidAuthority(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let first = bytes.first else { return false }
        let hostEnd: Int
        if first == UInt8(ascii: "[") {
            guard let close = bytes.firstIndex(of: UInt8(ascii: "]")) else { return false }
            guard Self.isIPLiteralContent(bytes, 1..<close) else { return false }
            hostEnd = close + 1
        } else {
            // A reg-name holds no ":", so the first byte it cannot hold ends it, and must start the port.
            hostEnd = Self.regNameEnd(bytes)
            guard hostEnd > 0 else { return false }
        }
        guard hostEnd < bytes.count else { return true }
        guard bytes[hostEnd] == UInt8(ascii: ":") else { return false }
        var index = hostEnd + 1
        while index < bytes.count {
            guard Self.isDigit(bytes[index]) else { return false }
            index += 1
        }
        return true
    }

    /// Where the longest prefix of `bytes` that is a `*( unreserved / pct-encoded / sub-delims )` ends.
    private static func regNameEnd(_ bytes: UnsafeRawBufferPointer) -> Int {
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if Self.isRegNameCharacter(byte) {
                index += 1
            } else if byte == UInt8(ascii: "%"), index + 2 < bytes.count, Self.isHex(bytes[index + 1]),
                Self.isHex(bytes[index + 2])
            {
                index += 3
            } else {
                break
            }
        }
        return index
    }

    /// `unreserved / sub-delims`, looked up in a bit set of the ASCII range: one test per byte, since every
    /// request's authority goes through here.
    static func isRegNameCharacter(_ byte: UInt8) -> Bool {
        if byte < 64 { return (Self.regNameBytesBelow64 >> UInt64(byte)) & 1 != 0 }
        return byte < 128 && (Self.regNameBytes64To127 >> UInt64(byte - 64)) & 1 != 0
    }

    /// Bit n set for byte n: `! $ & ' ( ) * + , - .`, the digits, `;` and `=` (HostValidationTests checks both
    /// sets against ``isUnreserved(_:)`` and ``isSubDelimiter(_:)``).
    private static let regNameBytesBelow64: UInt64 = 0x2bff_7fd2_0000_0000
    /// Bit n set for byte 64 + n: the letters, `_` and `~`.
    private static let regNameBytes64To127: UInt64 = 0x47ff_fffe_87ff_fffe

    /// What a bracketed IP literal holds: an IPv6 address, or `v` HEXDIG… `.` followed by unreserved, sub-delims
    /// or `:` (IPvFuture).
    private static func isIPLiteralContent(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Bool {
        guard let first = range.first else { return false }
        guard bytes[first] | 0x20 == UInt8(ascii: "v") else { return Self.isIPv6(bytes, range) }
        var index = first + 1
        while index < range.upperBound && Self.isHex(bytes[index]) { index += 1 }
        guard index > first + 1, index < range.upperBound, bytes[index] == UInt8(ascii: ".") else { return false }
        let rest = (index + 1)..<range.upperBound
        return !rest.isEmpty
            && rest.allSatisfy { Self.isUnreserved(bytes[$0]) || Self.isSubDelimiter(bytes[$0]) || bytes[$0] == 0x3A }
    }

    /// RFC 3986's `IPv6address`: eight groups of 1 to 4 hex digits separated by `:`, at most one `::` standing for
    /// one or more zero groups, and the last two groups possibly written as an IPv4 address.
    private static func isIPv6(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Bool {
        let colon = UInt8(ascii: ":")
        var index = range.lowerBound
        var groups = 0
        var hasDoubleColon = false
        if range.count >= 2 && bytes[index] == colon {
            guard bytes[index + 1] == colon else { return false }
            hasDoubleColon = true
            index += 2
        }
        while index < range.upperBound {
            let start = index
            while index < range.upperBound && index - start < 4 && Self.isHex(bytes[index]) { index += 1 }
            if index < range.upperBound && bytes[index] == UInt8(ascii: ".") {
                // The IPv4 tail ends the address and counts for two groups.
                guard Self.isIPv4(bytes, start..<range.upperBound) else { return false }
                groups += 2
                break
            }
            guard index > start else { return false }
            groups += 1
            guard index < range.upperBound else { break }
            guard bytes[index] == colon else { return false }  // a fifth hex digit, or another character
            index += 1
            guard index < range.upperBound else { return false }  // a single trailing ":"
            if bytes[index] == colon {
                guard !hasDoubleColon else { return false }
                hasDoubleColon = true
                index += 1
            }
        }
        return hasDoubleColon ? groups <= 7 : groups == 8
    }

    /// `dec-octet "." dec-octet "." dec-octet "." dec-octet`, each 0–255 without leading zeros.
    private static func isIPv4(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Bool {
        var octets = 0
        var index = range.lowerBound
        while index < range.upperBound {
            let start = index
            var value = 0
            while index < range.upperBound && index - start < 3 && Self.isDigit(bytes[index]) {
                value = value * 10 + Int(bytes[index] - UInt8(ascii: "0"))
                index += 1
            }
            let length = index - start
            guard length > 0, value <= 255, length == 1 || bytes[start] != UInt8(ascii: "0") else { return false }
            octets += 1
            guard index < range.upperBound else { break }
            guard octets < 4, bytes[index] == UInt8(ascii: "."), index + 1 < range.upperBound else { return false }
            index += 1
        }
        return octets == 4
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private static func isHex(_ byte: UInt8) -> Bool {
        Self.isDigit(byte) || (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "f"))
    }

    /// `ALPHA / DIGIT / "-" / "." / "_" / "~"`.
    static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            true
        default:
            false
        }
    }

    /// `"!" / "$" / "&" / "'" / "(" / ")" / "*" / "+" / "," / ";" / "="`.
    static func isSubDelimiter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("),
            UInt8(ascii: ")"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"),
            UInt8(ascii: "="):
            true
        default:
            false
        }
    }
}
