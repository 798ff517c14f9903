public import NIOCore

/// A request's body as an `AsyncSequence` of buffers: the pieces of a streamed body as they arrive, or a collected
/// body as one piece.
///
/// On a route whose body mode is ``RequestBodyMode/streamed`` the transport reads the body only as fast as it is
/// iterated: a reader that stops makes the client wait, and the bytes held per request stay bounded. A streamed
/// body can be iterated once; a second iterator continues where the first stopped. Iteration throws a
/// ``StreamingBodyError`` when the body breaks off (the client goes away, resets the stream, stops sending for
/// `requestBodyTimeout`, or sends a malformed body), and `CancellationError` when the reading task is cancelled.
///
/// ```swift
/// struct Checksum: Function {
///     var requestBodyMode: RequestBodyMode { .streamed }
///     func respond(to request: Request, context: RequestContext) async throws -> Response {
///         var count = 0
///         for try await piece in request.bodyStream { count += piece.readableBytes }
///         return .text("\(count) bytes")
///     }
/// }
/// ```
public struct RequestBody: AsyncSequence, Sendable {
    /// One piece of the body.
    public typealias Element = ByteBuffer
    /// A body that breaks off throws.
    public typealias Failure = any Error

    fileprivate enum Storage: Sendable {
        case collected(ByteBuffer)
        case streamed(RequestBodySource)
    }

    private let storage: Storage

    /// A body that is already complete: it yields `buffer` once (nothing when it is empty).
    public init(buffer: ByteBuffer) {
        self.storage = .collected(buffer)
    }

    init(source: RequestBodySource) {
        self.storage = .streamed(source)
    }

    /// Reads the body's pieces in order.
    public struct AsyncIterator: AsyncIteratorProtocol {
        private var storage: Storage?

        fileprivate init(storage: Storage) {
            self.storage = storage
        }

        /// The next piece, or `nil` at the end of the body.
        /// - Throws: ``StreamingBodyError`` when the body breaks off; `CancellationError` when the task is
        ///   cancelled.
        public mutating func next() async throws -> ByteBuffer? {
            switch self.storage {
            case .none:
                return nil
            case .collected(let buffer):
                self.storage = nil
                return buffer.readableBytes > 0 ? buffer : nil
            case .streamed(let source):
                return try await source.next()
            }
        }
    }

    /// An iterator over the body.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(storage: self.storage)
    }

    /// Reads the whole body into one buffer.
    /// - Parameter maxSize: the most bytes accepted.
    /// - Throws: ``StreamingBodyError/Code-swift.struct/tooLarge`` past `maxSize`, or what iteration throws.
    public func collect(upTo maxSize: Int) async throws -> ByteBuffer {
        if case .collected(let buffer) = self.storage {
            guard buffer.readableBytes <= maxSize else { throw StreamingBodyError(.tooLarge) }
            return buffer
        }
        var collected = ByteBuffer()
        for try await var piece in self {
            guard collected.readableBytes + piece.readableBytes <= maxSize else {
                throw StreamingBodyError(.tooLarge)
            }
            collected.writeBuffer(&piece)
        }
        return collected
    }
}
