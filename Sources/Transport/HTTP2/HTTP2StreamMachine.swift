import HTTPTypes
import NIOCore

/// The life of one HTTP/2 request stream on the server, from its first header field to its last frame.
///
/// Pure: it never touches nghttp2 or the channel. Each event returns an ``Action`` that the handler performs.
struct HTTP2StreamMachine {
    enum State {
        /// Header fields are arriving. They are collected outside the machine (see ``HTTP2StreamTable``):
        /// a header block is never interleaved with another stream's, so one builder per connection suffices.
        case receivingHead
        /// The head is complete; the body is arriving.
        case receivingBody(HTTPRequest, ByteBuffer)
        /// The request went to the dispatcher; its response has not come back yet.
        case awaitingResponse(isHead: Bool)
        /// A response was submitted; nghttp2 draws `body` through the data provider.
        case sendingBody(ByteBuffer, peerEnded: Bool)
        /// A response whose body streams was submitted; nghttp2 draws the body from the handler's queue as the
        /// request's task produces it.
        case streamingResponse(peerEnded: Bool)
        /// The whole response was handed to nghttp2.
        case responded(peerEnded: Bool)
        /// The stream was reset by us; nothing more happens on it.
        case reset
    }

    enum Action {
        case none
        /// Hand the complete request to the dispatcher.
        case dispatch(Request)
        /// Hand the request of a streaming route to the dispatcher now, with a source its body will go into.
        case dispatchStreamed(HTTPRequest)
        /// Submit the head of a response whose body streams; with a data provider when `hasBody`.
        case submitStreaming(HTTPResponse, contentLength: Int?, hasBody: Bool)
        /// Submit this response head; with a data provider when `hasBody`.
        case submit(HTTPResponse, bodyLength: Int, hasBody: Bool)
        /// Reset the stream with this error code.
        case reset(HTTP2ErrorCode)
        /// The dispatched request will never be answered: tell the dispatcher.
        case cancel
    }

    private var state: State
    private let maxBodySize: Int
    /// Body bytes the peer sent after we answered early (413) and before it ended the stream.
    private var discardedBytes = 0
    /// When the request's head completed or its body last received bytes: ``isBodyStalled(now:timeout:)``.
    private var lastBodyActivity = NIODeadline.uptimeNanoseconds(0)
    /// True when our answer ends the exchange: the stream is reset (NO_ERROR) once the response went out, so a
    /// peer that stopped sending does not keep it open (408).
    private var resetsAfterResponse = false
    /// The head of a request answered before it was dispatched (413, 408), for its record.
    private(set) var answeredRequest: HTTPRequest?
    /// The request's head was malformed: the stream was reset (PROTOCOL_ERROR) instead of answered, and is recorded
    /// as a 400.
    private(set) var isMalformed = false
    /// The request was dispatched at its head (a streaming route) and its body is still arriving.
    private(set) var isReceivingStreamedBody = false

    /// How much body a peer may keep sending after an early answer before the stream is reset.
    ///
    /// RFC 9113 §8.1 allows RST_STREAM(NO_ERROR) right after the response, but common clients (curl 7.88
    /// among them) then report the whole exchange as failed and never show the 413; like nginx, we read and
    /// discard the rest of the body instead, up to this bound.
    var discardAllowance: Int { max(self.maxBodySize, 1 << 20) * 8 }

    init(maxBodySize: Int) {
        self.state = .receivingHead
        self.maxBodySize = maxBodySize
    }

    /// True while the dispatcher owes a response, or still produces its streamed body.
    var isAwaitingResponse: Bool {
        switch self.state {
        case .awaitingResponse, .streamingResponse: true
        default: false
        }
    }

    /// Request body bytes held for the request while it is incomplete; the connection's flow-control budget
    /// counts them (``HTTP2StreamTable``).
    var bufferedBodyBytes: Int {
        if case .receivingBody(_, let body) = self.state { return body.readableBytes }
        return 0
    }

    /// True while the request body is arriving and has received no bytes for `timeout`.
    func isBodyStalled(now: NIODeadline, timeout: TimeAmount) -> Bool {
        guard self.isBodyArriving else { return false }
        return now >= self.lastBodyActivity + timeout
    }

    /// The time at which the body, if still silent, will have stalled.
    func bodyDeadline(timeout: TimeAmount) -> NIODeadline? {
        guard self.isBodyArriving else { return nil }
        return self.lastBodyActivity + timeout
    }

    private var isBodyArriving: Bool {
        if case .receivingBody = self.state { return true }
        return self.isReceivingStreamedBody
    }

    /// The body counts as making progress now: bytes of a streamed body arrived, or the function has not taken
    /// all that did (then the client is not the one that stalls).
    mutating func noteBodyActivity(now: NIODeadline) {
        self.lastBodyActivity = now
    }

    /// The request's header block ended (after any CONTINUATION frames) with the fields in `head`. A request with a
    /// body whose `bodyMode` is ``RequestBodyMode/streamed`` is dispatched now.
    mutating func receivedHead(
        _ head: HTTP2RequestHeadBuilder,
        endStream: Bool,
        now: NIODeadline,
        bodyMode: (HTTPRequest) -> RequestBodyMode = { _ in .collected }
    ) -> Action {
        guard case .receivingHead = self.state else { return self.receivedTrailers(endStream: endStream) }
        if head.isOversized {
            let problem = Response.problem(status: .init(code: 431), title: "Request header fields too large")
            return self.answer(problem, includeBody: true, peerEnded: endStream)
        }
        guard let request = head.build() else {
            self.state = .reset
            self.isMalformed = true
            return .reset(.protocolError)
        }
        if endStream {
            self.state = .awaitingResponse(isHead: request.method == .head)
            return .dispatch(Request(head: request))
        }
        self.lastBodyActivity = now
        if bodyMode(request) == .streamed {
            self.state = .awaitingResponse(isHead: request.method == .head)
            self.isReceivingStreamedBody = true
            return .dispatchStreamed(request)
        }
        self.state = .receivingBody(request, ByteBuffer())
        return .none
    }

    /// A later header block (trailers, whose fields are ignored) ended; the request ends with it.
    mutating func receivedTrailers(endStream: Bool) -> Action {
        endStream ? self.receivedEndOfStream() : .none
    }

    /// A chunk of request body arrived.
    mutating func receivedData(_ bytes: UnsafeRawBufferPointer, now: NIODeadline) -> Action {
        guard case .receivingBody(let head, var body) = self.state else { return self.discard(bytes.count) }
        self.lastBodyActivity = now
        if body.readableBytes + bytes.count > self.maxBodySize {
            self.answeredRequest = head
            let problem = Response.problem(status: .contentTooLarge, title: "Request body too large")
            return self.answer(problem, includeBody: head.method != .head, peerEnded: false)
        }
        self.state = .reset  // keep `body` uniquely referenced while appending
        body.writeBytes(bytes)
        self.state = .receivingBody(head, body)
        return .none
    }

    /// The peer ended its side of the stream (END_STREAM on DATA or trailers).
    mutating func receivedEndOfStream() -> Action {
        self.isReceivingStreamedBody = false
        switch self.state {
        case .receivingBody(let head, let body):
            self.state = .awaitingResponse(isHead: head.method == .head)
            return .dispatch(Request(head: head, body: body))
        case .sendingBody(let body, _):
            self.state = .sendingBody(body, peerEnded: true)
        case .streamingResponse:
            self.state = .streamingResponse(peerEnded: true)
        case .responded:
            self.state = .responded(peerEnded: true)
        case .receivingHead, .awaitingResponse, .reset:
            break
        }
        return .none
    }

    /// The request body received nothing for `requestBodyTimeout`: 408, then the stream is reset (the connection
    /// and its other streams go on). Ignored unless the body is arriving.
    mutating func bodyTimedOut() -> Action {
        if self.isReceivingStreamedBody {
            self.isReceivingStreamedBody = false
            guard case .awaitingResponse(let isHead) = self.state else {
                self.state = .reset  // a response is on the way: it breaks off
                return .reset(.cancel)
            }
            self.resetsAfterResponse = true
            let problem = Response.problem(status: .requestTimeout, title: "Request body timeout")
            return self.answer(problem, includeBody: !isHead, peerEnded: false)
        }
        guard case .receivingBody(let head, _) = self.state else { return .none }
        self.resetsAfterResponse = true
        self.answeredRequest = head
        let problem = Response.problem(status: .requestTimeout, title: "Request body timeout")
        return self.answer(problem, includeBody: head.method != .head, peerEnded: false)
    }

    /// Refuses a request whose body has not fully arrived (RST_STREAM REFUSED_STREAM, RFC 9113 §8.7: nothing
    /// was processed, the client may retry), dropping what it buffered. Ignored unless the body is arriving.
    mutating func refuse() -> Action {
        guard case .receivingBody = self.state else { return .none }
        self.state = .reset
        return .reset(.refusedStream)
    }

    /// The dispatcher answered. Ignored unless a response is owed.
    mutating func respond(_ response: Response) -> Action {
        guard case .awaitingResponse(let isHead) = self.state else { return .none }
        // A streamed request body still arriving is not read any more: the stream is reset once the answer is out.
        if self.isReceivingStreamedBody { self.resetsAfterResponse = true }
        return self.answer(response, includeBody: !isHead, peerEnded: !self.isReceivingStreamedBody)
    }

    /// The dispatcher answered with a response whose body streams. Ignored unless a response is owed.
    mutating func respondStreaming(_ response: Response) -> Action {
        guard case .awaitingResponse(let isHead) = self.state else { return .none }
        let peerEnded = !self.isReceivingStreamedBody
        let code = response.status.code
        let length = response.streamedContentLength
        if isHead || code == 204 || code == 304 || length == 0 {
            if !peerEnded { self.resetsAfterResponse = true }
            self.state = .responded(peerEnded: peerEnded)
            return .submitStreaming(response.head, contentLength: length, hasBody: false)
        }
        self.state = .streamingResponse(peerEnded: peerEnded)
        return .submitStreaming(response.head, contentLength: length, hasBody: true)
    }

    /// The streamed response body was handed to nghttp2 whole.
    mutating func streamedBodyEnded() {
        guard case .streamingResponse(let peerEnded) = self.state else { return }
        if !peerEnded { self.resetsAfterResponse = true }
        self.state = .responded(peerEnded: peerEnded)
    }

    private mutating func answer(_ response: Response, includeBody: Bool, peerEnded: Bool) -> Action {
        let code = response.status.code
        let mayHaveBody = includeBody && code != 204 && code != 304 && !(100..<200).contains(code)
        let length = response.body.readableBytes
        if mayHaveBody && length > 0 {
            self.state = .sendingBody(response.body, peerEnded: peerEnded)
            return .submit(response.head, bodyLength: length, hasBody: true)
        }
        self.state = .responded(peerEnded: peerEnded)
        return .submit(response.head, bodyLength: length, hasBody: false)
    }

    /// nghttp2 asks for up to `maxLength` bytes of response body; returns them and whether they are the last.
    mutating func readBody(maxLength: Int) -> (bytes: ByteBuffer, isEnd: Bool) {
        guard case .sendingBody(var body, let peerEnded) = self.state else { return (ByteBuffer(), true) }
        let slice = body.readSlice(length: min(maxLength, body.readableBytes)) ?? ByteBuffer()
        if body.readableBytes == 0 {
            self.state = .responded(peerEnded: peerEnded)
            return (slice, true)
        }
        self.state = .sendingBody(body, peerEnded: peerEnded)
        return (slice, false)
    }

    /// Body arriving after an early answer: dropped; past ``discardAllowance`` the stream is reset with NO_ERROR
    /// (RFC 9113 §8.1: stop sending, the response stands).
    private mutating func discard(_ count: Int) -> Action {
        switch self.state {
        case .sendingBody(_, peerEnded: false), .responded(peerEnded: false):
            self.discardedBytes += count
            guard self.discardedBytes > self.discardAllowance, case .responded = self.state else { return .none }
            self.state = .reset
            return .reset(.noError)
        default:
            return .none
        }
    }

    /// Our last frame (END_STREAM) went out. A peer still sending may go on until ``discardAllowance``.
    mutating func sentEndOfStream() -> Action {
        guard case .responded(peerEnded: false) = self.state,
            self.resetsAfterResponse || self.discardedBytes > self.discardAllowance
        else {
            return .none
        }
        self.state = .reset
        return .reset(.noError)
    }

    /// The stream closed (normally, or reset by either side).
    mutating func closed() -> Action {
        let wasAwaiting = self.isAwaitingResponse
        self.isReceivingStreamedBody = false
        self.state = .reset
        return wasAwaiting ? .cancel : .none
    }
}
