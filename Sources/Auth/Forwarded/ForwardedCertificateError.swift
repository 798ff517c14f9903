public import GatehouseTransport
import HTTPTypes

/// A trusted proxy's forwarded-certificate header that cannot be read: 400 `Invalid forwarded client certificate`
/// with the reason (which says nothing about the server's trust, only what is wrong with the header).
public struct ForwardedCertificateError: HTTPResponseError, CustomStringConvertible, Sendable {
    /// What is wrong, e.g. `Client-Cert: not an sf-binary item`.
    public let detail: String

    /// An error explained by `detail`.
    public init(_ detail: String) {
        self.detail = detail
    }

    /// The problem's title, and the HTTP/1.1 reason phrase.
    public static let title = "Invalid forwarded client certificate"

    /// 400 with an `application/problem+json` body whose detail is ``detail``.
    public var response: Response {
        .problem(status: .badRequest, title: Self.title, detail: self.detail)
    }

    /// The detail.
    public var description: String { self.detail }
}
