package import HTTPTypes

extension HTTP2HeaderBlock {
    /// A request block for `head` (RFC 9113 §8.3.1): `:method`, `:scheme`, `:authority`, `:path`, then the
    /// fields; `content-length` is added for a body (or a POST, PUT, PATCH) when the head has none. A `nil`
    /// `bodyLength` is a streamed body of unknown length, framed by END_STREAM alone: nothing is added.
    package init(request head: HTTPRequest, bodyLength: Int?) {
        let needsLength = bodyLength.map { $0 > 0 || [.post, .put, .patch].contains(head.method) } ?? false
        self.init(
            pseudoHeaders: .request(
                method: head.method.rawValue,
                scheme: head.scheme ?? "https",
                authority: head.authority,
                path: head.path ?? "/"
            ),
            fields: head.headerFields,
            addedContentLength: needsLength && !Self.hasContentLength(head.headerFields) ? bodyLength ?? 0 : nil
        )
    }
}
