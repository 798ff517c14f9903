public import HTTPTypes
public import NIOCore

extension HTTPClient {
    /// Sends `request` with a body read from `body` as the connection takes it, and returns as soon as the response
    /// head arrives, with the body still streaming: the caller may read it after this call returns, from any task.
    ///
    /// What ``execute(_:body:handleResponse:)`` does within its closure, for a caller that hands the body on — a
    /// gateway answering its own client with it. The connection stays with the response until its body has been
    /// read to the end (then it goes back to the pool) or fails; dropping the body unfinished, or leaving its
    /// iteration, abandons the request: HTTP/1.1 closes the connection, HTTP/2 resets the stream (RST_STREAM CANCEL).
    /// The request body keeps streaming after this call returns, until the response is complete or abandoned.
    /// Cancelling the calling task while it waits for the head abandons the request. The response timeout bounds the
    /// wait for the head and each wait for more of the body while the reader is waiting for it.
    ///
    /// ```swift
    /// let response = try await client.stream(request, body: chunks)
    /// return Response(head: response.head, body: ResponseBody(asyncSequence: response.body))
    /// ```
    /// - Parameters:
    ///   - request: method, scheme, authority, path and header fields. With a `Content-Length` field the body must
    ///     have that length; without one, HTTP/1.1 sends it chunked.
    ///   - body: the request body's parts; `nil` for a request without a body.
    /// - Throws: ``ClientError`` as ``execute(_:body:)``, ``ClientError/Code/cancelled`` when abandoned before the
    ///   head, or what `body` threw when it failed before the head.
    public func stream<Body: AsyncSequence<ByteBuffer, any Error> & Sendable>(
        _ request: HTTPRequest,
        body: Body?
    ) async throws -> ClientStreamingResponse {
        let (origin, lease) = try await self.lease(for: request)
        let connection = lease.connection
        let exchange = connection.startStreamedRequest(request, hasBody: body != nil)
        // Unstructured: the upload outlives this call (the response is answered while the request still streams);
        // the lease cancels it when the response ends or is abandoned.
        let upload = body.map { body in
            Task { try await Self.upload(body, on: connection, exchange: exchange) }
        }
        let owner = ExchangeLease(exchange: exchange, lease: lease, pool: self.pool, upload: upload)
        let head: HTTPResponse
        do {
            head = try await withTaskCancellationHandler {
                try await exchange.head.futureResult.get()
            } onCancel: {
                owner.abandon()
            }
        } catch {
            owner.abandon()
            // A request body that broke off abandons the request: its own error says why.
            if case .failure(let uploadError)? = await upload?.result, !(uploadError is CancellationError) {
                throw uploadError
            }
            if let error = error as? ClientError {
                throw ((connection.explain(error) as? ClientError) ?? error).sent(to: "\(origin)")
            }
            throw error
        }
        return ClientStreamingResponse(
            head: head,
            body: ClientResponseBody(exchange: exchange, lease: owner),
            httpVersion: connection.httpVersion,
            tls: connection.facts.tls
        )
    }

    /// Sends a request without a body; see ``stream(_:body:)``.
    public func stream(_ request: HTTPRequest) async throws -> ClientStreamingResponse {
        try await self.stream(request, body: nil as EmptyRequestBody?)
    }
}
