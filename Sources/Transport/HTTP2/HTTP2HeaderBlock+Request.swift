package import HTTPTypes

extension HTTP2HeaderBlock {
    /// A request block for `head` (RFC 9113 §8.3.1): `:method`, `:scheme`, `:authority`, `:path`, then the
    /// fields; `content-length` is added for a body (or a POST, PUT, PATCH) when the head has none.
    package init(request head: HTTPRequest, bodyLength: Int) {
        self.append(name: ":method", value: head.method.rawValue)
        self.append(name: ":scheme", value: head.scheme ?? "https")
        if let authority = head.authority { self.append(name: ":authority", value: authority) }
        self.append(name: ":path", value: head.path ?? "/")
        let hasContentLength = self.appendFields(head.headerFields)
        if !hasContentLength && (bodyLength > 0 || [.post, .put, .patch].contains(head.method)) {
            self.append(name: "content-length", value: String(bodyLength))
        }
    }
}
