public import NIOCore

/// A response body produced while it is sent: a closure that writes pieces through a ``ResponseBodyWriter``.
///
/// The transport sends the head first, then runs the closure in the request's task. Each
/// ``ResponseBodyWriter/write(_:)`` waits while the client does not take the bytes (the connection is not
/// writable, or the HTTP/2 stream's queue is full), so memory stays bounded whatever the body's size. Returning ends
/// the body; throwing breaks it off: HTTP/1.1 closes the connection (a chunked body then lacks its last chunk) and
/// HTTP/2 resets the stream, so the client never takes a truncated body for a complete one. For a `HEAD` request,
/// and for 204 and 304 answers, the closure is not run.
///
/// Without ``contentLength`` (and no `Content-Length` field in the head), HTTP/1.1 sends the body chunked.
///
/// ```swift
/// let body = ResponseBody { writer in
///     for line in lines { try await writer.write(ByteBuffer(string: line + "\n")) }
/// }
/// return Response(head: HTTPResponse(status: .ok), body: body)
/// ```
public struct ResponseBody: Sendable {
    /// The body's exact length when known: sent as `Content-Length`, and the writer is held to it.
    public let contentLength: Int?
    private let produce: @Sendable (ResponseBodyWriter) async throws -> Void

    /// A body written by `produce`.
    /// - Parameters:
    ///   - contentLength: the exact number of bytes `produce` writes, when known.
    ///   - produce: writes the body; returns when it is complete, throws to break it off.
    public init(
        contentLength: Int? = nil,
        _ produce: @escaping @Sendable (ResponseBodyWriter) async throws -> Void
    ) {
        self.contentLength = contentLength
        self.produce = produce
    }

    /// A body made of the pieces of `sequence`, written as they come.
    public init<Pieces: AsyncSequence & Sendable>(contentLength: Int? = nil, asyncSequence sequence: Pieces)
    where Pieces.Element == ByteBuffer {
        self.init(contentLength: contentLength) { writer in
            for try await piece in sequence { try await writer.write(piece) }
        }
    }

    /// Runs the producer with `writer`.
    func write(to writer: ResponseBodyWriter) async throws {
        try await self.produce(writer)
    }
}

/// Writes the pieces of a streamed response body (``ResponseBody``).
public struct ResponseBodyWriter: Sendable {
    private let sink: ResponseBodySink

    init(sink: ResponseBodySink) {
        self.sink = sink
    }

    /// Sends `buffer`; waits while the client does not take what was sent before.
    /// - Throws: ``StreamingBodyError`` when the client can no longer receive the response (it went away or reset
    ///   the stream), or when the bytes exceed the announced `Content-Length`.
    public func write(_ buffer: ByteBuffer) async throws {
        try await self.sink.write(buffer)
    }
}
