import HTTPTypes
import NIOCore
import NIOHTTP1

/// Answers what the HTTP/1.1 decoder could not parse, then closes the connection.
///
/// A header block over the limit (`HTTPParserError.headerOverflow`) gets `431 Request header fields too large`, any
/// other parser error `400 Bad request`, both with `connection: close` — unless a response is already on the wire
/// or one announced the close, in which case the connection just closes. Other errors close it without an answer.
/// Sits after `HTTPServerPipelineHandler`, which holds a parser error back while a response is pending.
final class HTTP1ErrorHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private var isResponseInProgress = false
    private var isClosing = false

    /// Creates the handler.
    init() {}

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A closed channel's decoder reports the truncated request at EOF: nobody is left to answer.
        let canAnswer = !self.isResponseInProgress && !self.isClosing && context.channel.isActive
        self.isClosing = true
        guard canAnswer, let parserError = error as? HTTPParserError else {
            context.close(promise: nil)
            return
        }
        let response: Response =
            parserError == .headerOverflow
            ? .problem(status: .requestHeaderFieldsTooLarge, title: "Request header fields too large")
            : .problem(status: .badRequest, title: "Bad request")
        let (head, body) = response.http1Parts(
            HTTP1ResponsePlan(version: .http1_1, keepAlive: false, isHeadRequest: false)
        )
        context.write(self.wrapOutboundOut(.head(head)), promise: nil)
        if let body { context.write(self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        let channel = context.channel
        context.writeAndFlush(self.wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch self.unwrapOutboundIn(data) {
        case .head(let head) where head.status.code < 200:
            break
        case .head(let head):
            self.isResponseInProgress = true
            if !head.isKeepAlive { self.isClosing = true }
        case .body:
            break
        case .end:
            self.isResponseInProgress = false
        }
        context.write(data, promise: promise)
    }
}

@available(*, unavailable)
extension HTTP1ErrorHandler: Sendable {}
