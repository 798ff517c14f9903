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
        let problem = ProblemDetails(title: title, status: status.code, detail: detail)
        // Strings and an integer always encode; the fallback only keeps the signature non-throwing.
        let json = (try? jsonText(problem)) ?? #"{"status":500,"title":"Internal server error","type":"about:blank"}"#
        return Response(
            status: HTTPResponse.Status(code: status.code, reasonPhrase: title),
            headerFields: .problemJSON,
            body: ByteBuffer(string: json)
        )
    }
}

/// The body of an RFC 9457 problem response.
private struct ProblemDetails: Encodable {
    var type = "about:blank"
    let title: String
    let status: Int
    /// Left out when `nil`.
    let detail: String?
}
