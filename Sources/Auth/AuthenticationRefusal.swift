public import GatehouseTransport
import HTTPTypes

/// Why an authenticator did not let a request through, and the response the client gets.
///
/// A refusal that only reports (a policy in `report` mode) carries a ``report``: the request goes on without an
/// identity and the report goes into ``Transport/RequestContext/reportedRefusal``.
public struct AuthenticationRefusal: HTTPResponseError, Sendable {
    /// A stable code for logs, e.g. `no_certificate`, `untrusted` or `missing_api_key`.
    public let reason: String
    /// The response the client gets.
    public let response: Response
    /// When set, the refusal is only reported: ``AuthenticationMiddleware`` records this value in
    /// ``Transport/RequestContext/reportedRefusal``, lets the next authenticator try, and lets the request through
    /// without an identity when none authenticates.
    public let report: (any Sendable)?

    /// A refusal answered with `response`.
    public init(reason: String, response: Response) {
        self.reason = reason
        self.response = response
        self.report = nil
    }

    /// A refusal that is only reported: the request continues, `report` (for example a ``ReportedRefusal``) goes
    /// into the context.
    public init(reason: String, response: Response, reporting report: any Sendable) {
        self.reason = reason
        self.response = response
        self.report = report
    }

    /// 401 with `WWW-Authenticate: <challenge>` and an `application/problem+json` body titled `title`.
    /// - Parameters:
    ///   - challenge: the `WWW-Authenticate` value, e.g. `ApiKey` or `Bearer realm="api"`.
    ///   - reason: the code for logs.
    public static func unauthorized(challenge: String, reason: String, title: String = "Unauthorized") -> Self {
        var response = Response.problem(status: .unauthorized, title: title)
        response.head.headerFields[.wwwAuthenticate] = challenge
        return AuthenticationRefusal(reason: reason, response: response)
    }

    /// 403 with an `application/problem+json` body titled `title`.
    public static func forbidden(reason: String, title: String = "Forbidden") -> Self {
        AuthenticationRefusal(reason: reason, response: .problem(status: .forbidden, title: title))
    }
}
