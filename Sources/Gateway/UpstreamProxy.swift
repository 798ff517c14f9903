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
/// No connection, a broken or oversized response → 502; no response head within the response timeout, or no
/// connection within the connect timeout → 504; both `application/problem+json`.
public struct UpstreamProxy: Function {
    /// Where requests go and how.
    public let upstream: UpstreamConfiguration
    /// The path prefix removed from a request's path before it is appended to the upstream URL's path.
    public let stripPrefix: String?
    private let client: HTTPClient
    private let logger: Logger?

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

    /// Forwards the request, its body streamed, and collects the response, up to
    /// ``UpstreamConfiguration/maxResponseBodySize``.
    public func respond(to request: Request, context: RequestContext) async throws -> Response {
        var head = request.head
        let body = try await ForwardedRequestBody.starting(request)
        if !request.isBodyStreamed {
            // A collected body (a caller that runs the function itself): its length is known.
            head.headerFields[.contentLength] = body.map { _ in "\(request.body.readableBytes)" }
        }
        do {
            return try await self.forward(head: head, body: body, context: context) { response in
                let collected = try await response.body.collect(upTo: self.upstream.maxResponseBodySize)
                var head = response.head
                if request.method != .head { head.headerFields[.contentLength] = nil }
                return Response(head: head, body: collected)
            }
        } catch let error as UpstreamFailure {
            // A client that went away cancelled the upstream request: nobody reads the answer, nothing is wrong.
            let level: Logger.Level = error.clientError?.code == .cancelled ? .debug : .warning
            self.logger?.log(
                level: level,
                "upstream request failed",
                metadata: [
                    "upstream": "\(self.upstream.name)", "status": "\(error.status.code)", "reason": "\(error.reason)",
                ]
            )
            return error.response
        } catch let error as ClientError {
            // The response body failed after its head: the connection broke, or it was too large.
            let failure = UpstreamFailure(error, upstream: self.upstream.name)
            self.logger?.warning(
                "upstream response failed",
                metadata: ["upstream": "\(self.upstream.name)", "reason": "\(error.description)"]
            )
            return failure.response
        }
    }

    /// Forwards one request with its body streamed, and hands the upstream's response — head cleaned of hop-by-hop
    /// fields, body still streaming — to `respond`.
    ///
    /// The seam for a server that streams: the request body is read from `body` only as the upstream connection
    /// takes it, and the response body from the upstream only as `respond` reads it. Leaving `respond` early,
    /// throwing, or the task being cancelled (the client went away) cancels the upstream request.
    /// - Parameters:
    ///   - head: the client's request head; a `Content-Length` field must match `body`'s length.
    ///   - body: the request body; `nil` for none.
    ///   - context: the request's context (client address, TLS facts, the identity the policy accepted).
    ///   - respond: writes the response to the client.
    /// - Throws: ``UpstreamFailure`` (an ``HTTPResponseError``: 502 or 504) when the upstream cannot be reached, does
    ///   not answer in time, or its response is broken; what `respond` throws.
    public func forward<Body: AsyncSequence<ByteBuffer, any Error> & Sendable, Result: Sendable>(
        head: HTTPRequest,
        body: Body?,
        context: RequestContext,
        respond: (UpstreamResponse) async throws -> Result
    ) async throws -> Result {
        let request = try self.upstreamRequest(for: head, context: context)
        do {
            return try await self.client.execute(request, body: body) { response in
                var head = response.head
                head.headerFields = ForwardingHeaders.endToEnd(head.headerFields)
                return try await respond(UpstreamResponse(head: head, body: response.body))
            }
        } catch let error as ClientError {
            throw UpstreamFailure(error, upstream: self.upstream.name)
        }
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

/// The upstream's response as ``UpstreamProxy/forward(head:body:context:respond:)`` hands it on.
public struct UpstreamResponse: Sendable {
    /// Status and header fields, hop-by-hop fields removed.
    public var head: HTTPResponse
    /// The body, read from the upstream as it is iterated.
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
