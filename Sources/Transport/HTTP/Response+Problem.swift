public import HTTPTypes
import NIOCore

extension Response {
    /// An RFC 9457 `application/problem+json` response.
    ///
    /// The HTTP/1.1 reason phrase is `title`, so `403 Invalid client certificate` reads the same on
    /// the status line and in the body.
    /// - Parameters:
    ///   - status: the status code; its reason phrase is replaced by `title`.
    ///   - title: a short, stable summary of the problem type.
    ///   - detail: an optional explanation of this occurrence.
    public static func problem(status: HTTPResponse.Status, title: String, detail: String? = nil) -> Response {
        var json = "{\"type\":\"about:blank\",\"title\":\(jsonString(title)),\"status\":\(status.code)"
        if let detail { json += ",\"detail\":\(jsonString(detail))" }
        json += "}"
        return Response(
            status: HTTPResponse.Status(code: status.code, reasonPhrase: title),
            headerFields: .problemJSON,
            body: ByteBuffer(string: json)
        )
    }
}

/// Encodes `text` as a JSON string literal.
package func jsonString(_ text: String) -> String {
    var out = "\""
    out.reserveCapacity(text.utf8.count + 2)
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case let s where s.value < 0x20:
            out += "\\u" + String(repeating: "0", count: 4 - String(s.value, radix: 16).count)
                + String(s.value, radix: 16)
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}
