import NIOCore

extension ChannelPipeline.SynchronousOperations {
    /// Adds the HTTP/1.1 server after whatever is already in the pipeline (TLS, once it chose `http/1.1`): one
    /// ``HTTP1ServerHandler`` that parses requests from the plaintext, hands them to `dispatcher` and writes the
    /// responses, and enforces the connection's limits and timeouts.
    ///
    /// Must be called on the channel's event loop. The channel may already be active.
    /// - Parameters:
    ///   - limits: header block and body sizes, idle and request-read timeouts.
    ///   - dispatcher: receives each request; answers through the ``ResponseWriter`` it is given.
    /// - Throws: the pipeline's error if the handler cannot be added (for example, the channel closed).
    func configureHTTP1Server(limits: ConnectionLimits, dispatcher: any RequestDispatcher) throws {
        try self.addHandler(HTTP1ServerHandler(limits: limits, dispatcher: dispatcher))
    }
}
