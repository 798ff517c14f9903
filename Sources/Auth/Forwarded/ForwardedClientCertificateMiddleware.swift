import GatehouseCertificates
public import GatehouseTransport
import HTTPTypes
public import Logging

/// A listener's first step when it trusts a TLS-terminating proxy: believes the client certificate the proxy
/// forwards, and only the proxy's.
///
/// On a connection whose own certificate passes the proxy policy (decided once per connection, like any policy),
/// it reads the configured header into ``Transport/RequestContext/forwardedClientCertificate`` (an empty chain when
/// the proxy sent none: the request then has no client certificate) and the route's policy evaluates that
/// certificate instead of the connection's, per request. A header it cannot read is answered 400
/// (``ForwardedCertificateError``). On any other connection the forwarded-certificate headers are removed and
/// ignored, so a forged header changes nothing. Every forwarded-certificate header (`Client-Cert`,
/// `Client-Cert-Chain`, `X-Forwarded-Client-Cert`) is removed before routing either way.
///
/// ```swift
/// let proxies = ClientCertificateAuthenticator(policy: edgeProxies, logger: logger)
/// let responder = [ForwardedClientCertificateMiddleware(header: .rfc9440, proxies: proxies, logger: logger)]
///     .chained(to: router)
/// ```
public struct ForwardedClientCertificateMiddleware: Middleware {
    /// The header format read from trusted proxies.
    public let header: ForwardedCertificateHeader
    /// Decides, per connection, whether the peer is a trusted proxy.
    public let proxies: ClientCertificateAuthenticator
    /// The bounds of a forwarded chain.
    public let limits: ForwardedChainLimits
    private let logger: Logger

    /// Believes `header` on connections whose certificate `proxies` authenticates; chains beyond `limits` are 400.
    public init(
        header: ForwardedCertificateHeader,
        proxies: ClientCertificateAuthenticator,
        limits: ForwardedChainLimits = ForwardedChainLimits(),
        logger: Logger
    ) {
        self.header = header
        self.proxies = proxies
        self.limits = limits
        self.logger = logger
    }

    /// Reads or removes the forwarded certificate, then runs `next`; 400 for a trusted proxy's unreadable header.
    public func handle(_ request: Request, context: RequestContext, next: any Responder) async throws -> Response {
        var request = request
        var context = context
        if let refusal = self.admit(&request, into: &context) { return refusal }
        return try await next.respond(to: request, context: context)
    }

    /// The request as the route sees it: a trusted proxy's forwarded certificate in `context`, every
    /// forwarded-certificate header removed; or the 400 that ends it.
    private func admit(_ request: inout Request, into context: inout RequestContext) -> Response? {
        // The connection's own decision under the proxy policy: cached per connection, and not the request's
        // decision (the route's policy records that).
        guard case .authenticated(let proxy) = self.proxies.answer(for: context) else {
            if request.head.headerFields.hasForwardedCertificateHeaders {
                request.head.headerFields.removeForwardedCertificateHeaders()
            }
            return nil
        }
        let chain: [Certificate]
        do throws(ForwardedCertificateError) {
            switch self.header {
            case .rfc9440: chain = try RFC9440Fields.chain(in: request.head.headerFields, limits: self.limits)
            case .xfcc: chain = try XFCCField.chain(in: request.head.headerFields, limits: self.limits)
            }
        } catch {
            self.logger.warning(
                "forwarded client certificate refused",
                metadata: [
                    "reason": "\(error.detail)", "proxy": "\(proxy.subject)", "connection": "\(context.connection.id)",
                ]
            )
            return error.response
        }
        if request.head.headerFields.hasForwardedCertificateHeaders {
            request.head.headerFields.removeForwardedCertificateHeaders()
        }
        let forwarded = ForwardedClientCertificate(chain: chain, proxy: proxy.certificate, header: self.header.rawValue)
        context.forwardedClientCertificate = forwarded
        context.observation?.forwardedClientCertificate = forwarded
        return nil
    }
}

extension ForwardedClientCertificateMiddleware: ImmediateMiddleware {
    package func handleImmediately(
        _ request: Request,
        context: consuming RequestContext,
        next: any ImmediateResponder
    ) throws -> Response? {
        // A trusted proxy's requests take the asynchronous path: their policy decision is made per request, and a
        // fast path that declined after the route's policy ran would make (count, log) it twice.
        if case .authenticated = self.proxies.answer(for: context) { return nil }
        var request = request
        if let refusal = self.admit(&request, into: &context) { return refusal }
        return try next.respondImmediately(to: request, context: context)
    }
}
