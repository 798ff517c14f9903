import HTTPTypes
import NIOCore
import Synchronization

/// Names one streamed request on its connection, so messages from the caller's task find it in the handler.
struct ExchangeID: Hashable, Sendable {
    private static let next = Atomic<UInt64>(0)
    private let value: UInt64

    /// A new identifier, unique within the process.
    init() {
        self.value = Self.next.wrappingAdd(1, ordering: .relaxed).newValue
    }
}

/// One streamed request, shared by the caller's task and the protocol handler of its connection.
///
/// The handler completes ``head`` with the response head and yields the body into ``source``; the caller reads
/// ``body``. The sequence asks for more (``ExchangeDelegate``) only as the caller pulls, and the handler reads from
/// the socket (HTTP/1.1) or reopens the stream's window (HTTP/2) only then.
final class ClientExchange: Sendable {
    typealias Producer = NIOThrowingAsyncSequenceProducer<
        ByteBuffer, any Error, NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark, ExchangeDelegate
    >

    /// Buffered body chunks: reading stops above the high mark and resumes below the low one.
    static let lowWatermark = 2
    /// See ``lowWatermark``.
    static let highWatermark = 8

    let id: ExchangeID
    /// Completed with the final response head, or failed with a ``ClientError``.
    let head: EventLoopPromise<HTTPResponse>
    /// Where the handler yields body chunks and finishes.
    let source: Producer.Source
    /// The body as the caller reads it.
    let body: Producer
    private let completed = Atomic<Bool>(false)

    /// Creates an exchange for a request on `channel`.
    init(channel: any Channel) {
        let id = ExchangeID()
        self.id = id
        self.head = channel.eventLoop.makePromise(of: HTTPResponse.self)
        let made = Producer.makeSequence(
            backPressureStrategy: .init(lowWatermark: Self.lowWatermark, highWatermark: Self.highWatermark),
            finishOnDeinit: false,
            delegate: ExchangeDelegate(channel: channel, id: id)
        )
        self.source = made.source
        self.body = made.sequence
    }

    /// Whether the whole response arrived (the connection is then free for another request).
    var isComplete: Bool { self.completed.load(ordering: .acquiring) }

    /// The response is complete: the body ends after what was yielded.
    func finish() {
        self.completed.store(true, ordering: .releasing)
        self.source.finish()
    }

    /// Ends the exchange with `error`: the head (when still awaited) and the body fail.
    func fail(_ error: any Error) {
        self.head.fail(error)
        self.source.finish(error)
    }
}

/// Tells the connection's handler that the reader wants more, or went away.
struct ExchangeDelegate: NIOAsyncSequenceProducerDelegate {
    let channel: any Channel
    let id: ExchangeID

    func produceMore() {
        self.channel.writeAndFlush(ClientOutbound.produceMore(self.id), promise: nil)
    }

    func didTerminate() {
        self.channel.writeAndFlush(ClientOutbound.cancel(self.id), promise: nil)
    }
}
