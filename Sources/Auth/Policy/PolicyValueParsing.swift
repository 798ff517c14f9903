import Foundation

/// Spellings of configuration values: hex with case, spaces and colons ignored; base64; IP addresses.
enum PolicyValueParsing {
    /// Hex digits to bytes, ignoring case, spaces and colons; `nil` when malformed or odd-length.
    static func hexBytes(_ text: String) -> [UInt8]? {
        let digits = text.unicodeScalars.filter { $0 != " " && $0 != ":" }
        guard !digits.isEmpty, digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var high: UInt8? = nil
        for scalar in digits {
            guard let value = UInt8(String(scalar), radix: 16) else { return nil }
            if let first = high {
                bytes.append(first << 4 | value)
                high = nil
            } else {
                high = value
            }
        }
        return bytes
    }

    /// A serial number as canonical uppercase hex without leading zeros (as ``Certificate/serialNumberHex``).
    static func serialNumber(_ text: String) -> String? {
        let digits = String(text.unicodeScalars.filter { $0 != " " && $0 != ":" }).uppercased()
        guard !digits.isEmpty, digits.allSatisfy({ $0.isHexDigit }) else { return nil }
        let trimmed = digits.drop { $0 == "0" }
        return trimmed.isEmpty ? "0" : String(trimmed)
    }

    /// A thumbprint: SHA-1 (20 bytes) or SHA-256 (32 bytes) in hex.
    static func thumbprint(_ text: String) -> [UInt8]? {
        guard let bytes = hexBytes(text), bytes.count == 20 || bytes.count == 32 else { return nil }
        return bytes
    }

    /// An SPKI SHA-256: 64 hex digits, or base64 (standard or URL-safe, padding optional) of 32 bytes.
    static func spkiHash(_ text: String) -> [UInt8]? {
        if let bytes = hexBytes(text), bytes.count == 32 { return bytes }
        var base64 = text.trimmingCharacters(in: .whitespaces)
            .replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64), data.count == 32 else { return nil }
        return [UInt8](data)
    }

    /// An IPv4 or IPv6 address as its 4 or 16 bytes.
    static func ipAddress(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }

    /// A DNS name for case-insensitive comparison: lower-cased, without a trailing dot.
    static func dnsName(_ text: String) -> String {
        var name = text.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        return name
    }

    /// An email address with its domain lower-cased (the local part is compared exactly).
    static func email(_ text: String) -> String {
        guard let at = text.lastIndex(of: "@") else { return text }
        return String(text[..<at]) + text[at...].lowercased()
    }
}
