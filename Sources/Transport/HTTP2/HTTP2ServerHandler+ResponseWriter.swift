import NIOCore

extension HTTP2ServerHandler: ResponseWriter {
    /// Submits the response for `stream`; ignored when the stream was already closed or reset.
    func write(_ response: Response, for stream: StreamID) {
        guard let action = self.streams.update(stream.rawValue, { $0.respond(response) }) else { return }
        self.isWritingResponse = true
        self.perform(action, on: stream.rawValue)
        self.isWritingResponse = false
        // Inside a read batch the output goes out with the batch, in channelReadComplete.
        if !self.isReadingBatch { self.sendPendingOutput() }
    }
}
