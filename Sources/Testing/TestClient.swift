public import GatehouseClient
public import HTTPTypes
public import NIOCore

/// An mTLS client bound to one ``GatehouseTestServer``: requests take a path, not a URL.
///
/// It is an ``HTTPClient`` (Gatehouse's own, HTTP/1.1 and HTTP/2) that presents a test certificate and trusts the
/// test CA; the server shuts it down when its `withServer` body returns.
///
/// ```swift
/// let response = try await server.client(.client("alice")).get("/greet")
/// #expect(response.status == .ok)
/// #expect(response.bodyText == "Hello, CN=alice,O=Gatehouse Tests.")
/// ```
public struct TestClient: Sendable {
    /// The underlying client, for anything the conveniences below do not cover.
    public let httpClient: HTTPClient
    /// `https://host:port` of the listener this client calls.
    public let baseURL: String

    package init(httpClient: HTTPClient, baseURL: String) {
        self.httpClient = httpClient
        self.baseURL = baseURL
    }

    /// Sends a request to `path` (with its query) and returns the whole response.
    /// - Throws: ``ClientError`` when no response arrives (a refused handshake, a timeout).
    public func execute(
        _ method: HTTPRequest.Method,
        _ path: String,
        headerFields: HTTPFields = [:],
        body: ByteBuffer? = nil
    ) async throws -> ClientResponse {
        try await self.httpClient.execute(method, self.baseURL + path, headerFields: headerFields, body: body)
    }

    /// `GET path`.
    public func get(_ path: String, headerFields: HTTPFields = [:]) async throws -> ClientResponse {
        try await self.execute(.get, path, headerFields: headerFields)
    }

    /// `POST path` with a UTF-8 body.
    public func post(_ path: String, body: String, headerFields: HTTPFields = [:]) async throws -> ClientResponse {
        try await self.execute(.post, path, headerFields: headerFields, body: ByteBuffer(string: body))
    }
}
