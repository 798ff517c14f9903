public import HTTPTypes
import NIOCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

extension Response {
    /// An `application/json` response with `value` encoded by `JSONEncoder`: keys sorted, so a body reads the same
    /// every time, and `/` not escaped.
    /// - Throws: what encoding `value` throws.
    public static func json(encoding value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        .json(try jsonText(value), status: status)
    }
}

/// `value` as JSON text, keys sorted, `/` not escaped.
func jsonText(_ value: some Encodable) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}
