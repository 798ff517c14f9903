import HTTPTypes

/// Ready-made names for the request fields most clients send, so that a decoded field with one of these names
/// skips building and validating a name string (RFC 9113 §8.2.1 names are lowercase: `rawName` is the name).
enum HTTP2FieldNames {
    /// The name spelt by `bytes`, when it is one of the common ones.
    static func common(_ bytes: UnsafeBufferPointer<UInt8>) -> HTTPField.Name? {
        switch bytes.count {
        case 6:
            if Self.equals(bytes, "accept") { return Self.accept }
            if Self.equals(bytes, "cookie") { return Self.cookie }
            if Self.equals(bytes, "origin") { return Self.origin }
        case 7: if Self.equals(bytes, "referer") { return Self.referer }
        case 10: if Self.equals(bytes, "user-agent") { return Self.userAgent }
        case 12: if Self.equals(bytes, "content-type") { return Self.contentType }
        case 13:
            if Self.equals(bytes, "authorization") { return Self.authorization }
            if Self.equals(bytes, "cache-control") { return Self.cacheControl }
            if Self.equals(bytes, "if-none-match") { return Self.ifNoneMatch }
        case 14: if Self.equals(bytes, "content-length") { return Self.contentLength }
        case 15:
            if Self.equals(bytes, "accept-encoding") { return Self.acceptEncoding }
            if Self.equals(bytes, "accept-language") { return Self.acceptLanguage }
        default: break
        }
        return nil
    }

    /// Whether `bytes` spell `name`.
    static func equals(_ bytes: UnsafeBufferPointer<UInt8>, _ name: StaticString) -> Bool {
        guard bytes.count == name.utf8CodeUnitCount else { return false }
        for index in 0..<bytes.count where bytes[index] != name.utf8Start[index] { return false }
        return true
    }

    private static let accept = HTTPField.Name(parsed: "accept")!
    private static let acceptEncoding = HTTPField.Name(parsed: "accept-encoding")!
    private static let acceptLanguage = HTTPField.Name(parsed: "accept-language")!
    private static let authorization = HTTPField.Name(parsed: "authorization")!
    private static let cacheControl = HTTPField.Name(parsed: "cache-control")!
    private static let contentLength = HTTPField.Name(parsed: "content-length")!
    private static let contentType = HTTPField.Name(parsed: "content-type")!
    private static let cookie = HTTPField.Name(parsed: "cookie")!
    private static let ifNoneMatch = HTTPField.Name(parsed: "if-none-match")!
    private static let origin = HTTPField.Name(parsed: "origin")!
    private static let referer = HTTPField.Name(parsed: "referer")!
    private static let userAgent = HTTPField.Name(parsed: "user-agent")!
}
