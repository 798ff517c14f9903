import GatehouseAuth
import GatehouseCertificates
public import GatehouseClient
public import GatehouseRouting
public import GatehouseTransport
public import HTTPTypes
public import Logging
public import NIOCore

/// The function behind an upstream route: forwards the request to its upstream and answers with the upstream's
/// response.
///
/// The request goes with its method, path (after ``stripPrefix``, appended to the upstream URL's path) and query;
/// its header fields without hop-by-hop ones (``ForwardingHeaders``) and without any forwarded-certificate field
/// the client sent; with `Forwarded`, `X-Forwarded-For` and `X-Forwarded-Proto` added and, when the upstream
/// asks for it, the client's certificate (``ClientCertificateEncoding``) — only one the route's policy accepted.
/// The response streams back as the client takes it. Before its head: no connection, a broken head, or a
/// `Content-Length` over ``UpstreamConfiguration/maxResponseBodySize`` → 502; no response head within the response
/// timeout, no connection within the connect timeout, or no free one within the response timeout → 504; every
/// connection busy and ``UpstreamConfiguration/maxWaitingRequests`` already waiting → 503; all
/// `application/problem+json`. After its head, a
/// body that breaks off, stalls past the response timeout or grows past the bound breaks the client's response off.
public struct UpstreamProxy: Function {
    /// Where requests go and how.
    public let upstream: UpstreamConfiguration
    /// The path prefix removed from a request's path before it is appended to the upstream URL's path.
    public let stripPrefix: String?
    private let client: HTTPClient
    private let logger: Logger?
    /// 503s for a full queue come in floods: one warning a second says how many.
    private let queueFullWarnings = RateLimitedWarning(interval: 1)

    /// Creates the proxy for `upstream`, sending through `client` (one per upstream, made from
    /// ``UpstreamConfiguration/clientConfiguration``); 502s and 504s are logged to `logger` with their reason.
    public init(upstream: UpstreamConfiguration, client: HTTPClient, stripPrefix: String? = nil, logger: Logger? = nil)
    {
        self.upstream = upstream
        self.client = client
        self.logger = logger
        self.stripPrefix = stripPrefix.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
    }

    /// Request bodies stream to the upstream as they arrive (the listener's `maxBodySize` does not apply; its
    /// `requestBodyTimeout` does), read only as fast as the upstream connection takes them.
    public var requestBodyMode: RequestBodyMode { .streamed }

    /// Forwards the request, its body streamed, and answers with the upstream's response, its body streamed too.
    public func respond(to request: Request, context: RequestContext) async throws -> Response {
        var head = request.head
        let body = try await ForwardedRequestBody.starting(request)
        if !request.isBodyStreamed {
            // A collected body (a caller that runs the function itself): its length is known.
            head.headerFields[.contentLength] = body.map { _ in "\(request.body.readableBytes)" }
        }
        do {
            let upstream = try await self.forward(head: head, body: body, context: context)
            return try await UpstreamResponseRelay.response(
                relaying: upstream,
                method: request.method,
                maxBodySize: self.upstream.maxResponseBodySize,
                upstreamName: self.upstream.name
            )
        } catch let error as UpstreamFailure {
            self.log(error)
            return error.response
        } catch let error as StreamingBodyError {
            // The client's request body broke off (it went away, reset the stream, stopped sending or sent a malformed
            // body) before the response head: the upstream request was abandoned; the transport has answered the
            // client already, if it still can be answered.
            self.logger?.debug(
                "request body broke off",
                metadata: ["upstream": "\(self.upstream.name)", "reason": "\(error.code)"]
            )
            return .problem(status: .badRequest, title: "Bad Request", detail: "the request body broke off")
        }
    }

    /// Logs `failure`: a warning, except for a client that went away (nobody reads the answer, nothing is wrong);
    /// 503s for a full queue at most once a second, with how many there were since the last line.
    private func log(_ failure: UpstreamFailure) {
        var metadata: Logger.Metadata = [
            "upstream": "\(self.upstream.name)", "status": "\(failure.status.code)", "reason": "\(failure.reason)",
        ]
        switch failure.clientError?.code {
        case .cancelled:
            self.logger?.debug("upstream request failed", metadata: metadata)
        case .connectionsBusy:
            guard let heldBack = self.queueFullWarnings.admit() else { return }
            metadata["refused since the last line"] = "\(heldBack + 1)"
            self.logger?.warning("upstream request failed", metadata: metadata)
        default:
            self.logger?.warning("upstream request failed", metadata: metadata)
        }
    }

    /// Forwards one request with its body streamed, and returns the upstream's response as soon as its head arrives:
    /// head cleaned of hop-by-hop fields, body still streaming.
    ///
    /// The seam for a server that streams: the request body is read from `body` only as the upstream connection
    /// takes it (it goes on after this returns), and the response body from the upstream only as it is read. Reading
    /// the body to its end returns the upstream connection to the pool; dropping it unfinished, a failing `body`, or
    /// the task being cancelled while the head is awaited (the client went away) cancels the upstream request.
    /// - Parameters:
    ///   - head: the client's request head; a `Content-Length` field must match `body`'s length.
    ///   - body: the request body; `nil` for none.
    ///   - context: the request's context (client address, TLS facts, the identity the policy accepted).
    /// - Throws: ``UpstreamFailure`` (an ``HTTPResponseError``: 502, 503 or 504) when the upstream cannot be
    ///   reached, has no connection free, does not answer in time, or its response head is broken; what `body` threw
    ///   when it broke off first.
    public func forward<Body: AsyncSequence<ByteBuffer, any Error> & Sendable>(
        head: HTTPRequest,
        body: Body?,
        context: RequestContext
    ) async throws -> UpstreamResponse {
        let request = try self.upstreamRequest(for: head, context: context)
        let response: ClientStreamingResponse
        do {
            response = try await self.client.stream(request, body: body)
        } catch let error as ClientError {
            throw UpstreamFailure(error, upstream: self.upstream.name)
        }
        var responseHead = response.head
        responseHead.headerFields = ForwardingHeaders.endToEnd(responseHead.headerFields)
        return UpstreamResponse(head: responseHead, body: response.body)
    }

    /// The request as it goes upstream.
    func upstreamRequest(for head: HTTPRequest, context: RequestContext) throws -> HTTPRequest {
        var fields = ForwardingHeaders.endToEnd(head.headerFields, removing: ForwardingHeaders.replacedInRequests)
        ForwardingHeaders.addForwarding(
            to: &fields,
            clientAddress: context.connection.remoteAddress?.ipAddress,
            proto: context.connection.tls.protocolVersion.isEmpty ? "http" : "https",
            host: head.authority
        )
        if self.upstream.forwardClientCertificate != .none,
            let identity = context.identity(as: ClientCertificateIdentity.self)
        {
            do {
                fields.append(contentsOf: try self.certificateFields(for: identity, context: context))
            } catch {
                throw UpstreamFailure.badGateway(
                    "the client certificate could not be encoded",
                    upstream: self.upstream.name
                )
            }
        }
        return HTTPRequest(
            method: head.method,
            scheme: self.upstream.url.scheme,
            authority: self.upstream.url.authority,
            path: self.upstream.url.basePath + self.strippedPath(head.path ?? "/"),
            headerFields: fields
        )
    }

    /// The forwarded-certificate fields for `identity`: encoded once per connection and format (the PEM, its URL
    /// encoding and the SANs of XFCC, or RFC 9440's base64) and reused by the connection's next requests with the same
    /// certificate; a connection from a trusted proxy, whose requests carry many clients, re-encodes on a change.
    private func certificateFields(
        for identity: ClientCertificateIdentity,
        context: RequestContext
    ) throws -> [HTTPField] {
        let format = self.upstream.forwardClientCertificate
        if let cached = context.connectionStore[EncodedCertificateFields.self],
            cached.format == format, cached.certificate === identity.certificate
        {
            return cached.fields
        }
        var chain = identity.presentedChain
        if chain.first != identity.certificate { chain.insert(identity.certificate, at: 0) }
        let fields = try ClientCertificateEncoding.fields(for: chain, format: format)
        context.connectionStore[EncodedCertificateFields.self] = EncodedCertificateFields(
            certificate: identity.certificate,
            format: format,
            fields: fields
        )
        return fields
    }

    /// `path` (with its query) without ``stripPrefix``, when it starts with it at a segment boundary.
    func strippedPath(_ path: String) -> String {
        guard let prefix = self.stripPrefix, !prefix.isEmpty, path.hasPrefix(prefix) else { return path }
        let rest = path.dropFirst(prefix.count)
        if rest.isEmpty { return "/" }
        if rest.hasPrefix("?") { return "/" + rest }
        return rest.hasPrefix("/") ? String(rest) : path
    }
}

/// The upstream's response as ``UpstreamProxy/forward(head:body:context:)`` returns it.
public struct UpstreamResponse: Sendable {
    /// Status and header fields, hop-by-hop fields removed.
    public var head: HTTPResponse
    /// The body, read from the upstream as it is iterated; reading it to the end returns the upstream connection to
    /// the pool, dropping it unfinished cancels the upstream request.
    public var body: ClientResponseBody
}

/// A connection's last encoded forwarded-certificate fields (``UpstreamProxy``), by certificate and format.
private struct EncodedCertificateFields: ConnectionStoreKey, Sendable {
    typealias Value = EncodedCertificateFields
    /// The certificate the fields carry: the connection's decision keeps one instance, so a reference compares.
    let certificate: Certificate
    let format: UpstreamConfiguration.ClientCertificateForwarding
    let fields: [HTTPField]
}
