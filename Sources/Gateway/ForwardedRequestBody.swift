public import GatehouseTransport
public import NIOCore

/// A request body as it goes upstream: its first piece already read, so that a request without a body (a `GET`
/// whose HTTP/2 `HEADERS` ended the stream) goes without one instead of as an empty chunked body.
public struct ForwardedRequestBody: AsyncSequence, Sendable {
    /// One piece of the body.
    public typealias Element = ByteBuffer
    /// The client's body breaking off throws.
    public typealias Failure = any Error

    private let first: ByteBuffer
    /// The streamed body after its first piece; `nil` for a collected body, which is all in `first`.
    private let rest: RequestBody?

    /// The body of `request`, or `nil` when it has none; waits for the first piece of a streamed body.
    /// - Throws: what reading the body throws (the client went away, stopped sending, or sent a malformed body).
    public static func starting(_ request: Request) async throws -> ForwardedRequestBody? {
        guard request.isBodyStreamed else {
            return request.body.readableBytes > 0 ? ForwardedRequestBody(first: request.body, rest: nil) : nil
        }
        let body = request.bodyStream
        var iterator = body.makeAsyncIterator()
        guard let first = try await iterator.next() else { return nil }
        // A second iterator of a streamed body continues where the first stopped.
        return ForwardedRequestBody(first: first, rest: body)
    }

    /// Reads the first piece, then the rest as it arrives.
    public struct AsyncIterator: AsyncIteratorProtocol {
        fileprivate var first: ByteBuffer?
        fileprivate var rest: RequestBody.AsyncIterator?

        /// The next piece, or `nil` at the end of the body.
        public mutating func next() async throws -> ByteBuffer? {
            if let first = self.first {
                self.first = nil
                return first
            }
            return try await self.rest?.next()
        }
    }

    /// An iterator over the body.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(first: self.first, rest: self.rest?.makeAsyncIterator())
    }
}
