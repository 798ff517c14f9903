public import GatehouseTransport
public import HTTPTypes
public import NIOCore

/// A response whose body arrives as it is read: the head, and the body as an async sequence of chunks.
///
/// Handed to the closure of ``HTTPClient/execute(_:body:handleResponse:)``, and valid only inside it.
public struct ClientStreamingResponse: Sendable {
    /// Status (with the reason phrase on HTTP/1.1) and header fields.
    public var head: HTTPResponse
    /// The body, read from the connection only as it is iterated.
    public var body: ClientResponseBody
    /// The HTTP version that carried the response.
    public var httpVersion: HTTPVersionKind
    /// What the connection's TLS handshake established (empty for `http://`).
    public var tls: TLSSessionInfo

    /// The response status.
    public var status: HTTPResponse.Status { self.head.status }
}

/// The body of a ``ClientStreamingResponse``: chunks as the server sends them, with backpressure.
///
/// At most a few chunks wait for the reader; beyond that the connection stops reading (HTTP/1.1) or the stream's
/// flow-control window stays closed (HTTP/2). It can be iterated once. Leaving it unfinished abandons the request.
public struct ClientResponseBody: AsyncSequence, Sendable {
    /// A chunk of the body.
    public typealias Element = ByteBuffer
    /// A ``ClientError`` when the connection failed before the body was complete.
    public typealias Failure = any Error

    let exchange: ClientExchange

    /// Iterates the chunks.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: ClientExchange.Producer.AsyncIterator
        let exchange: ClientExchange

        /// The next chunk; `nil` at the end of the body.
        ///
        /// Runs off the caller's executor, as NIO's producer does: the iterator is used by one task at a time.
        /// - Throws: ``ClientError`` when the connection failed or the request was cancelled.
        @concurrent public mutating func next() async throws -> ByteBuffer? {
            if let chunk = try await self.base.next() { return chunk }
            // The sequence also ends when the reading task is cancelled: that is no complete body.
            guard self.exchange.isComplete else { throw ClientError.cancelled() }
            return nil
        }
    }

    /// Makes the one iterator the body supports.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: self.exchange.body.makeAsyncIterator(), exchange: self.exchange)
    }

    /// Collects the whole body, refusing one longer than `maxBytes`.
    /// - Throws: ``ClientError/Code/responseTooLarge`` when the body is longer than `maxBytes` (the rest is not
    ///   read); the connection's error when it failed.
    public func collect(upTo maxBytes: Int) async throws -> ByteBuffer {
        var collected = ByteBuffer()
        for try await var chunk in self {
            guard collected.readableBytes + chunk.readableBytes <= maxBytes else {
                throw ClientError(.responseTooLarge, "the response body is longer than \(maxBytes) bytes")
            }
            collected.writeBuffer(&chunk)
        }
        return collected
    }
}
