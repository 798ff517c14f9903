import GatehouseTransport
public import HTTPTypes
public import NIOCore
public import NIOPosix

/// An HTTPS client with a client certificate: HTTP/1.1 and HTTP/2 over Gatehouse's OpenSSL and nghttp2 code; also
/// plaintext `http://` (HTTP/1.1, or HTTP/2 with prior knowledge when only HTTP/2 is asked for).
///
/// Connections are pooled per origin: one HTTP/2 connection carries concurrent requests, HTTP/1.1 connections are
/// reused when a response leaves them open, at most ``ClientConfiguration/maxConnectionsPerOrigin`` at a time.
/// Responses come collected (``execute(_:body:)``) or streamed (``execute(_:body:handleResponse:)`` within a
/// closure, ``stream(_:body:)`` past the call). Call ``shutdown()`` when done.
///
/// ```swift
/// let client = try HTTPClient(configuration: ClientConfiguration(
///     identity: .pkcs12(file: "pki/client.pfx", password: "secret"), trustedCAFiles: ["pki/ca.crt"]))
/// let response = try await client.execute(.get, "https://127.0.0.1:8443/api/hello?name=x")
/// print(response.statusLine, response.bodyText)
/// await client.shutdown()
/// ```
public final class HTTPClient: Sendable {
    /// The settings the client was created with.
    public let configuration: ClientConfiguration
    private let group: any EventLoopGroup
    private let contexts: TLSContextCache
    let pool: ConnectionPool

    /// Creates a client; loads the identity and CA files once to check them.
    ///
    /// Expensive: reads and parses the identity and every CA file. Do not call on an event loop.
    /// - Parameters:
    ///   - configuration: identity, trust, HTTP version and timeout.
    ///   - eventLoopGroup: where connections run.
    /// - Throws: ``ClientError/Code/invalidConfiguration`` naming the file that cannot be used.
    public init(
        configuration: ClientConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) throws {
        let context: TLSContext
        do {
            context = try TLSContext(client: configuration.tlsConfiguration(serverName: nil))
        } catch let error as TLSError {
            throw ClientError(
                .invalidConfiguration,
                "the client's TLS settings cannot be used: \(error.detail)",
                detail: error.detail
            )
        }
        self.configuration = configuration
        self.group = eventLoopGroup
        let contexts = TLSContextCache(configuration: configuration)
        self.contexts = contexts
        _ = context  // built only to report a bad identity or CA file now rather than on the first request
        self.pool = ConnectionPool(
            sharesConnections: configuration.httpVersion != .http1_1,
            maxConnections: configuration.maxConnectionsPerOrigin,
            maxWaiting: configuration.maxWaitingRequestsPerOrigin,
            waitTimeout: configuration.effectiveResponseTimeout,
            timers: eventLoopGroup
        ) { origin in
            try await ClientConnection.connect(
                to: origin,
                context: origin.isSecure ? try contexts.context(for: origin.host) : nil,
                configuration: configuration,
                group: eventLoopGroup
            )
        }
    }

    /// Sends `request` and returns its whole response.
    ///
    /// The request's scheme is `https` or `http` and its authority names the server (`host:port`, port 443 or 80 when
    /// absent).
    /// - Parameters:
    ///   - request: method, authority, path (with query) and header fields.
    ///   - body: the request body; `nil` for none.
    /// - Throws: ``ClientError`` with a sentence that explains the failure (e.g. "the server refused the client
    ///   certificate: TLS alert certificate required") and the server's `host:port` as its ``ClientError/origin``.
    public func execute(_ request: HTTPRequest, body: ByteBuffer? = nil) async throws -> ClientResponse {
        let (origin, lease) = try await self.lease(for: request)
        do {
            let response = try await lease.connection.execute(request, body: body)
            self.pool.release(lease)
            return response
        } catch let error as ClientError {
            self.pool.release(lease)
            throw error.sent(to: "\(origin)")
        } catch {
            self.pool.release(lease)
            throw error
        }
    }

    /// Sends a request to `url` and returns its whole response.
    ///
    /// ```swift
    /// let response = try await client.execute(.post, "https://localhost:8443/echo", body: ByteBuffer(string: "hi"))
    /// ```
    /// - Throws: ``ClientError`` (`invalidRequest` for a URL that is not `https://` or `http://host[:port][/path]`).
    public func execute(
        _ method: HTTPRequest.Method,
        _ url: String,
        headerFields: HTTPFields = [:],
        body: ByteBuffer? = nil
    ) async throws -> ClientResponse {
        let target = try ClientURL(url)
        let request = HTTPRequest(
            method: method,
            scheme: target.scheme,
            authority: target.authority,
            path: target.path,
            headerFields: headerFields
        )
        return try await self.execute(request, body: body)
    }

    /// Closes every connection; requests made afterwards fail with ``ClientError/Code/shutdown``.
    public func shutdown() async {
        await self.pool.shutdown()
    }

    /// `request`'s origin and a connection to it from the pool; a failure to get one names the origin.
    func lease(for request: HTTPRequest) async throws -> (ClientConnection.Origin, ConnectionPool.Lease) {
        let origin = try Self.origin(of: request)
        do {
            return (origin, try await self.pool.lease(origin))
        } catch let error as ClientError {
            throw error.sent(to: "\(origin)")
        }
    }

    static func origin(of request: HTTPRequest) throws -> ClientConnection.Origin {
        let scheme = request.scheme?.lowercased()
        guard scheme == "https" || scheme == "http" else {
            throw ClientError(.invalidRequest, "only https and http are supported (scheme: \(scheme ?? "none"))")
        }
        guard let authority = request.authority,
            let origin = ClientURL.origin(authority: authority, isSecure: scheme == "https")
        else {
            throw ClientError(.invalidRequest, "the request names no valid host and port")
        }
        try ClientURL.checkHost(origin, bracketed: authority.split(separator: "@").last?.hasPrefix("[") == true)
        return origin
    }
}
