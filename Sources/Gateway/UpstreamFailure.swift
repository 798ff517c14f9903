public import GatehouseClient
public import GatehouseTransport
public import HTTPTypes

/// An upstream that could not be reached, did not answer properly or had no connection free, answered with 502, 504
/// or 503 (`application/problem+json`); the client sees which, the log sees why.
public struct UpstreamFailure: HTTPResponseError, CustomStringConvertible {
    /// 502 Bad Gateway, 504 Gateway Timeout or 503 Service Unavailable.
    public let status: HTTPResponse.Status
    /// The upstream's name.
    public let upstream: String
    /// Why, for the log (the client error's sentence).
    public private(set) var reason: String
    /// The client error behind it, when there is one.
    public let clientError: ClientError?

    /// The failure for `error`: a timeout is a 504, every connection busy with the waiting requests at their bound
    /// a 503, anything else a 502.
    public init(_ error: ClientError, upstream: String) {
        switch error.code {
        case .timeout: self.status = .gatewayTimeout
        case .connectionsBusy: self.status = .serviceUnavailable
        default: self.status = .badGateway
        }
        self.upstream = upstream
        self.reason = error.description
        self.clientError = error
    }

    /// The failure for `error` ending a response body after `bytes` of it were relayed (too late for a 502: the
    /// client's response is broken off; the reason says so for the log).
    public init(_ error: ClientError, upstream: String, afterBytes bytes: Int) {
        self.init(error, upstream: upstream)
        self.reason = "the response body broke off after \(bytes) bytes: \(error.description)"
    }

    private init(status: HTTPResponse.Status, upstream: String, reason: String) {
        self.status = status
        self.upstream = upstream
        self.reason = reason
        self.clientError = nil
    }

    /// A 502 for a reason that is no client error.
    static func badGateway(_ reason: String, upstream: String) -> UpstreamFailure {
        UpstreamFailure(status: .badGateway, upstream: upstream, reason: reason)
    }

    /// The problem response: `Bad Gateway`, `Gateway Timeout` or `Service Unavailable`, with a detail naming the
    /// upstream (never the reason, which may name internal addresses).
    public var response: Response {
        switch self.status {
        case .gatewayTimeout:
            .problem(
                status: self.status,
                title: "Gateway Timeout",
                detail: "upstream '\(self.upstream)' did not answer in time"
            )
        case .serviceUnavailable:
            .problem(
                status: self.status,
                title: "Service Unavailable",
                detail: "upstream '\(self.upstream)' is at capacity: every connection is busy and the queue is full"
            )
        default:
            .problem(status: self.status, title: "Bad Gateway", detail: "upstream '\(self.upstream)' failed to answer")
        }
    }

    /// The upstream and the reason.
    public var description: String { "upstream \(self.upstream): \(self.reason)" }
}
