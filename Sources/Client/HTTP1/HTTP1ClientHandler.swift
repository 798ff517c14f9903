import HTTPTypes
import NIOCore
import NIOHTTP1
import GatehouseTransport

/// Sends ``ClientRequest``s as HTTP/1.1 and completes each with its whole response, one at a time.
///
/// Sits above NIOHTTP1's `HTTPRequestEncoder` and `HTTPResponseDecoder`. A response that does not keep the
/// connection alive closes it; a request that gets no complete response within the timeout closes it too.
final class HTTP1ClientHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = ClientRequest
    typealias OutboundOut = HTTPClientRequestPart

    private let facts: ClientConnectionFacts
    private let state: ClientConnectionState
    private var machine = HTTP1ClientMachine()
    private var inFlight: EventLoopPromise<ClientResponse>?
    private var timer: Scheduled<Void>?
    private let reasonPhrases: HTTP1ReasonPhraseReader

    init(facts: ClientConnectionFacts, state: ClientConnectionState, reasonPhrases: HTTP1ReasonPhraseReader) {
        self.facts = facts
        self.state = state
        self.reasonPhrases = reasonPhrases
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = self.unwrapOutboundIn(data)
        switch self.machine.requestStarted() {
        case .send:
            self.inFlight = request.promise
            self.reasonPhrases.expectResponse()
            self.startTimer(context: context)
            let body = request.body ?? ByteBuffer()
            let head = request.head.http1ClientHead(bodyLength: body.readableBytes)
            context.write(self.wrapOutboundOut(.head(head)), promise: nil)
            if body.readableBytes > 0 { context.write(self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
            context.write(self.wrapOutboundOut(.end(nil)), promise: promise)
        case .reject(let error):
            promise?.fail(error)
            request.promise.fail(error)
        case .none, .complete, .fail:
            promise?.succeed()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.perform(self.machine.received(self.unwrapInboundIn(data)), context: context)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let clientError = Self.clientError(error)
        self.state.fail(clientError)
        self.perform(self.machine.connectionEnded(clientError), context: context)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.state.stopAcceptingRequests()
        self.perform(self.machine.connectionEnded(self.state.failure ?? .connectionClosed()), context: context)
        context.fireChannelInactive()
    }

    private func perform(_ action: HTTP1ClientMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .none, .send, .reject:
            break
        case .complete(let head, let body, let close):
            self.timer?.cancel()
            let response = ClientResponse(
                head: HTTPResponse(
                    http1: head,
                    reasonPhrase: self.reasonPhrases.reasonPhrase(for: Int(head.status.code))
                ),
                body: body,
                httpVersion: .http1_1,
                tls: self.facts.tls
            )
            if close {
                self.state.stopAcceptingRequests()
                context.close(promise: nil)
            }
            self.takeInFlight()?.succeed(response)
        case .fail(let error):
            self.timer?.cancel()
            self.state.stopAcceptingRequests()
            self.takeInFlight()?.fail(error)
            context.close(promise: nil)
        }
    }

    private func takeInFlight() -> EventLoopPromise<ClientResponse>? {
        defer { self.inFlight = nil }
        return self.inFlight
    }

    private func startTimer(context: ChannelHandlerContext) {
        let timeout = self.facts.requestTimeout
        self.timer = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(timeout)) { [self] in
            let error = ClientError.timeout(timeout)
            self.perform(self.machine.connectionEnded(error), context: context)
        }
    }

    /// Decoder and TLS errors, explained.
    static func clientError(_ error: any Error) -> ClientError {
        if let error = error as? ClientError { return error }
        if let error = error as? TLSError { return .tls(error) }
        return ClientError(
            .protocolError,
            "the server's HTTP/1.1 response could not be read: \(error)",
            detail: "\(error)"
        )
    }
}

@available(*, unavailable)
extension HTTP1ClientHandler: Sendable {}
