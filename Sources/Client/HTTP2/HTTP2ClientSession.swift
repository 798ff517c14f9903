import CNghttp2
import GatehouseTransport
import NIOCore

/// Owns one nghttp2 client session (`nghttp2_session*`) and maps its C results into Swift values.
///
/// Knows nothing of channels: the handler feeds it bytes and drains its output. Callbacks reach the owner through
/// the `userData` pointer given at creation.
final class HTTP2ClientSession {
    typealias ReceiveResult = NGHTTP2MemoryIO.ReceiveResult

    /// The outcome of submitting a request.
    enum SubmitResult: Equatable {
        case submitted(stream: Int32)
        /// No stream can be opened (ids exhausted, GOAWAY received, out of memory).
        case refused(code: Int32)
    }

    /// The per-stream receive window advertised to the server, so large responses are not throttled at 64 KiB.
    static let streamWindow: Int32 = 1 << 20
    /// The connection receive window: room for a few streams' worth in flight.
    static let connectionWindow: Int32 = 4 << 20

    private var session: OpaquePointer?  // nghttp2_session*, owned

    /// Creates the session and queues the client preface's SETTINGS and the connection window increase.
    ///
    /// Returns `nil` only when nghttp2 runs out of memory.
    init?(userData: UnsafeMutableRawPointer) {
        guard let callbacks = HTTP2ClientCallbacks.make() else { return nil }
        defer { nghttp2_session_callbacks_del(callbacks) }
        var option: OpaquePointer?
        guard nghttp2_option_new(&option) == 0, let option else { return nil }
        defer { nghttp2_option_del(option) }
        // Windows reopen as data is consumed: at once for collected responses, as the reader pulls for streamed ones.
        nghttp2_option_set_no_auto_window_update(option, 1)
        var session: OpaquePointer?
        guard nghttp2_session_client_new2(&session, callbacks, userData, option) == 0, let session else { return nil }
        self.session = session
        var entries = [
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_ENABLE_PUSH.rawValue), value: 0),
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue),
                value: UInt32(Self.streamWindow)
            ),
        ]
        _ = nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &entries, entries.count)
        _ = nghttp2_session_set_local_window_size(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, Self.connectionWindow)
    }

    deinit {
        assert(self.session == nil, "HTTP2ClientSession.close() must run before release")
        if let session = self.session { nghttp2_session_del(session) }
    }

    /// Frees the nghttp2 session; later calls do nothing. No callbacks run after this.
    func close() {
        guard let session = self.session else { return }
        self.session = nil
        nghttp2_session_del(session)
    }

    /// The server's SETTINGS_MAX_CONCURRENT_STREAMS (unbounded until its SETTINGS arrive).
    var remoteMaxConcurrentStreams: Int {
        guard let session = self.session else { return 0 }
        return Int(nghttp2_session_get_remote_settings(session, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS))
    }

    /// Submits a request; with `hasBody`, nghttp2 pulls the body through the read callback as flow control allows.
    func submitRequest(headers: HTTP2HeaderBlock, hasBody: Bool) -> SubmitResult {
        guard let session = self.session else { return .refused(code: Int32(NGHTTP2_ERR_INVALID_STATE.rawValue)) }
        let stream = headers.withNameValuePairs { nva -> Int32 in
            guard hasBody else { return nghttp2_submit_request(session, nil, nva.baseAddress, nva.count, nil, nil) }
            var provider = nghttp2_data_provider(
                source: nghttp2_data_source(ptr: nil),
                read_callback: HTTP2ClientCallbacks.readRequestBody
            )
            return nghttp2_submit_request(session, nil, nva.baseAddress, nva.count, &provider, nil)
        }
        return stream > 0 ? .submitted(stream: stream) : .refused(code: stream)
    }

    /// Reopens the connection's receive window by `count` bytes (they have been taken off nghttp2's hands).
    func consumeConnection(_ count: Int) {
        guard let session = self.session, count > 0 else { return }
        _ = nghttp2_session_consume_connection(session, count)
    }

    /// Reopens `stream`'s receive window by `count` bytes (its reader has taken them).
    func consumeStream(_ stream: Int32, _ count: Int) {
        guard let session = self.session, count > 0 else { return }
        _ = nghttp2_session_consume_stream(session, stream, count)
    }

    /// Asks nghttp2 to call the body provider of `stream` again (it deferred: no body bytes were waiting).
    func resumeData(stream: Int32) {
        guard let session = self.session else { return }
        _ = nghttp2_session_resume_data(session, stream)
    }

    /// Submits RST_STREAM with CANCEL for `stream`.
    func cancel(stream: Int32) {
        guard let session = self.session else { return }
        _ = nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), stream, NGHTTP2_CANCEL.rawValue)
    }

    /// Submits GOAWAY (no error): the client will open no more streams.
    func submitGoaway() {
        guard let session = self.session else { return }
        _ = nghttp2_session_terminate_session(session, NGHTTP2_NO_ERROR.rawValue)
    }

    /// Feeds plaintext input; callbacks run synchronously inside this call.
    func receive(_ buffer: ByteBuffer) -> ReceiveResult {
        guard let session = self.session else { return .processed }
        return NGHTTP2MemoryIO.receive(buffer, session: session)
    }

    /// Serialises every pending frame into `buffer`; `false` on a fatal error.
    func drainOutput(into buffer: inout ByteBuffer) -> Bool {
        guard let session = self.session else { return true }
        while true {
            switch NGHTTP2MemoryIO.sendNext(session: session, into: &buffer) {
            case .wrote: continue
            case .idle: return true
            case .fatal: return false
            }
        }
    }

    /// False when nghttp2 neither expects input nor has output (after GOAWAY with no open streams).
    var isAlive: Bool {
        guard let session = self.session else { return false }
        return nghttp2_session_want_read(session) != 0 || nghttp2_session_want_write(session) != 0
    }
}
