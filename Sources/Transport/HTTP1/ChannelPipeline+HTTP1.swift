import NIOCore
import NIOHTTP1

extension ChannelPipeline.SynchronousOperations {
    /// Adds the HTTP/1.1 server handlers after whatever is already in the pipeline (TLS, once it chose
    /// `http/1.1`): timeouts on raw bytes, NIO's decoder and encoder, NIO's pipelining handler, the parser-error
    /// answers, and ``HTTP1ServerHandler``, which hands complete requests to `dispatcher`.
    ///
    /// Must be called on the channel's event loop. The channel may already be active.
    /// - Parameters:
    ///   - limits: header block and body sizes, idle and request-read timeouts.
    ///   - dispatcher: receives each request; answers through the ``ResponseWriter`` it is given.
    /// - Throws: the pipeline's error if a handler cannot be added (for example, the channel closed).
    func configureHTTP1Server(limits: ConnectionLimits, dispatcher: any RequestDispatcher) throws {
        var decoderLimits = NIOHTTPDecoderLimitConfiguration()
        decoderLimits.maxHeaderListSize = limits.maxHeaderListSize
        decoderLimits.maxHeaderFieldSize = min(decoderLimits.maxHeaderFieldSize, limits.maxHeaderListSize)
        let decoder = HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes, limitConfiguration: decoderLimits)
        try self.addHandlers([
            HTTP1TimeoutHandler(limits: limits),
            ByteToMessageHandler(decoder),
            HTTPResponseEncoder(),
            HTTPServerPipelineHandler(),
            HTTP1ErrorHandler(),
            HTTP1ServerHandler(limits: limits, dispatcher: dispatcher),
        ])
    }
}
