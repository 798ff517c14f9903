public import HTTPTypes
public import NIOCore

extension HTTPClient {
    /// Sends `request` with a body read from `body` as the connection takes it, and hands the response to
    /// `handleResponse` as soon as its head arrives, with the body still streaming.
    ///
    /// Memory stays bounded whatever the sizes: the next body part is read from `body` only once the connection has
    /// taken the previous one (HTTP/1.1: written to the socket; HTTP/2: taken within the stream's window), and the
    /// response body is read from the connection only as `handleResponse` iterates it. Cancelling the calling task,
    /// throwing from `handleResponse`, returning before the body ended, or a failing `body` abandons the request:
    /// HTTP/1.1 closes its connection, HTTP/2 resets its stream (RST_STREAM CANCEL). The response timeout bounds the
    /// wait for the head and each wait for more of the body while the reader is waiting for it (never while the
    /// reader is behind).
    ///
    /// ```swift
    /// let size = try await client.execute(request, body: chunks) { response in
    ///     var size = 0
    ///     for try await chunk in response.body { size += chunk.readableBytes }
    ///     return size
    /// }
    /// ```
    /// - Parameters:
    ///   - request: method, scheme, authority, path and header fields. With a `Content-Length` field the body must
    ///     have that length; without one, HTTP/1.1 sends it chunked.
    ///   - body: the request body's parts; `nil` for a request without a body.
    ///   - handleResponse: reads the response; what it returns is returned.
    /// - Throws: ``ClientError`` as ``execute(_:body:)``, ``ClientError/Code/cancelled`` when abandoned, or what
    ///   `body` or `handleResponse` threw.
    public func execute<Body: AsyncSequence<ByteBuffer, any Error> & Sendable, Result: Sendable>(
        _ request: HTTPRequest,
        body: Body?,
        handleResponse: (ClientStreamingResponse) async throws -> Result
    ) async throws -> Result {
        let (origin, lease) = try await self.lease(for: request)
        let connection = lease.connection
        let exchange = connection.startStreamedRequest(request, hasBody: body != nil)
        do {
            let result = try await withThrowingTaskGroup(of: Void.self, returning: Result.self) { group in
                if let body {
                    group.addTask { try await Self.upload(body, on: connection, exchange: exchange) }
                }
                let head = try await withTaskCancellationHandler {
                    try await exchange.head.futureResult.get()
                } onCancel: {
                    connection.cancel(exchange)
                }
                let response = ClientStreamingResponse(
                    head: head,
                    body: ClientResponseBody(exchange: exchange),
                    httpVersion: connection.httpVersion,
                    tls: connection.facts.tls
                )
                let result = try await handleResponse(response)
                // Once the response is complete, what is left of the upload has no one to read it.
                group.cancelAll()
                while (try? await group.next()) != nil {}
                return result
            }
            self.finish(exchange, lease: lease)
            return result
        } catch let error as ClientError {
            self.finish(exchange, lease: lease)
            throw ((connection.explain(error) as? ClientError) ?? error).sent(to: "\(origin)")
        } catch {
            self.finish(exchange, lease: lease)
            throw error
        }
    }

    /// Sends a request without a body and streams its response; see ``execute(_:body:handleResponse:)``.
    public func execute<Result: Sendable>(
        _ request: HTTPRequest,
        handleResponse: (ClientStreamingResponse) async throws -> Result
    ) async throws -> Result {
        try await self.execute(request, body: nil as EmptyRequestBody?, handleResponse: handleResponse)
    }

    /// Writes `body` part by part, each once the connection took the previous one; abandons the exchange when
    /// `body` fails or the task is cancelled.
    static func upload(
        _ body: some AsyncSequence<ByteBuffer, any Error> & Sendable,
        on connection: ClientConnection,
        exchange: ClientExchange
    ) async throws {
        do {
            for try await part in body {
                try await connection.writeBodyPart(part, of: exchange)
            }
            try await connection.endBody(of: exchange)
        } catch {
            connection.cancel(exchange)
            throw error
        }
    }

    /// Returns the connection to the pool when the exchange completed; otherwise abandons the exchange, so the
    /// connection is never lent while a response is still arriving on it.
    private func finish(_ exchange: ClientExchange, lease: ConnectionPool.Lease) {
        if exchange.isComplete {
            self.pool.release(lease)
        } else {
            lease.connection.cancel(exchange)
            exchange.fail(ClientError.cancelled())
        }
    }
}

/// The body type of a request without one.
struct EmptyRequestBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    typealias Failure = any Error

    struct AsyncIterator: AsyncIteratorProtocol {
        mutating func next() async throws -> ByteBuffer? { nil }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator() }
}
