import CNghttp2
import NIOCore

/// Owns one nghttp2 server session (`nghttp2_session*`) and maps its C results into Swift values.
///
/// Knows nothing of channels: the handler feeds it bytes and drains its output. Callbacks reach
/// the owner through the `userData` pointer given at creation.
final class HTTP2ServerSession {
    typealias ReceiveResult = NGHTTP2MemoryIO.ReceiveResult
    typealias SendStep = NGHTTP2MemoryIO.SendStep

    private var session: OpaquePointer?  // nghttp2_session*, owned

    /// The connection-level flow-control window: the request-body bytes the peer may have sent that we have not
    /// yet released (``consumeConnection(_:)``). At least one largest body plus a frame, so a lone request can
    /// always complete.
    static func connectionWindow(_ limits: ConnectionLimits) -> Int {
        min(max(limits.maxBufferedBodyBytesPerConnection, limits.maxBodySize + 65_536), Int(Int32.max))
    }

    /// Creates the session and queues the server SETTINGS and the connection window increase.
    ///
    /// Returns `nil` only when nghttp2 runs out of memory.
    init?(limits: ConnectionLimits, userData: UnsafeMutableRawPointer) {
        guard let callbacks = HTTP2ServerCallbacks.make() else { return nil }
        defer { nghttp2_session_callbacks_del(callbacks) }
        var option: OpaquePointer?
        guard nghttp2_option_new(&option) == 0, let option else { return nil }
        defer { nghttp2_option_del(option) }
        // Connection-level WINDOW_UPDATEs follow what the handler releases (``consumeConnection(_:)``), which
        // bounds the body bytes buffered per connection; stream windows are released on arrival
        // (``consumeStream(_:_:)``).
        nghttp2_option_set_no_auto_window_update(option, 1)
        // Closed streams are not kept (nghttp2 would keep SETTINGS_MAX_CONCURRENT_STREAMS of them, about 240 bytes
        // each, on every busy connection): the handler remembers their identifiers (``HTTP2ClosedStreams``).
        nghttp2_option_set_no_closed_streams(option, 1)
        nghttp2_option_set_stream_reset_rate_limit(
            option,
            UInt64(max(0, limits.streamResetBurst)),
            UInt64(max(0, limits.streamResetRate))
        )
        var session: OpaquePointer?
        guard nghttp2_session_server_new2(&session, callbacks, userData, option) == 0, let session else { return nil }
        self.session = session
        self.submitSettings(limits)
    }

    deinit {
        assert(self.session == nil, "HTTP2ServerSession.close() must run before release")
        if let session = self.session { nghttp2_session_del(session) }
    }

    /// Frees the nghttp2 session; later calls do nothing. No callbacks run after this.
    func close() {
        guard let session = self.session else { return }
        self.session = nil
        nghttp2_session_del(session)
    }

    private func submitSettings(_ limits: ConnectionLimits) {
        guard let session = self.session else { return }
        var entries = [
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue),
                value: UInt32(clamping: limits.maxConcurrentStreams)
            ),
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue),
                value: UInt32(clamping: min(limits.initialWindowSize, Int(Int32.max)))
            ),
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE.rawValue),
                value: UInt32(clamping: limits.maxHeaderListSize)
            ),
            // No SETTINGS_NO_RFC7540_PRIORITIES: with it nghttp2 ignores PRIORITY frames (so a PRIORITY on
            // stream 0 or on itself goes unanswered) and forgets closed streams (so frames on them go unanswered
            // too), both of which RFC 9113 §5.1 and §6.3 require errors for. nghttp2 keeps closed streams up to
            // SETTINGS_MAX_CONCURRENT_STREAMS of them.
        ]
        _ = nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), &entries, entries.count)
        // The connection window bounds the body bytes of all streams together: see ``connectionWindow(_:)``.
        let connectionWindow = Int32(clamping: Self.connectionWindow(limits))
        _ = nghttp2_session_set_local_window_size(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, connectionWindow)
    }

    /// Feeds plaintext input; callbacks run synchronously inside this call.
    func receive(_ bytes: UnsafeRawBufferPointer) -> ReceiveResult {
        guard let session = self.session else { return .processed }
        return NGHTTP2MemoryIO.receive(bytes, session: session)
    }

    /// Queues GOAWAY with `code` and stops reading: nghttp2 ignores all further input and closes the session once
    /// the GOAWAY is sent.
    func terminate(code: HTTP2ErrorCode) {
        guard let session = self.session else { return }
        _ = nghttp2_session_terminate_session(session, code.rawValue)
    }

    /// Serialises the next pending frames and lends them to `body` once nghttp2 returned.
    func sendNext(_ body: (UnsafeRawBufferPointer) -> Void) -> SendStep {
        guard let session = self.session else { return .idle }
        return NGHTTP2MemoryIO.sendNext(session: session, body)
    }

    /// False when nghttp2 neither expects input nor has output: the connection is done.
    var isAlive: Bool {
        guard let session = self.session else { return false }
        return nghttp2_session_want_read(session) != 0 || nghttp2_session_want_write(session) != 0
    }

    /// Returns `count` bytes of `stream`'s window to the peer (WINDOW_UPDATE once half the window is consumed).
    func consumeStream(_ stream: Int32, _ count: Int) {
        guard let session = self.session, count > 0 else { return }
        _ = nghttp2_session_consume_stream(session, stream, count)
    }

    /// Returns `count` bytes of the connection window to the peer: body bytes no longer held.
    func consumeConnection(_ count: Int) {
        guard let session = self.session, count > 0 else { return }
        _ = nghttp2_session_consume_connection(session, count)
    }

    /// The body bytes the peer may still send on the connection without a WINDOW_UPDATE.
    var availableConnectionWindow: Int {
        guard let session = self.session else { return 0 }
        return Int(nghttp2_session_get_local_window_size(session))
    }

    /// The highest stream id the peer opened that we processed (for GOAWAY).
    var lastProcessedStreamID: Int32 {
        guard let session = self.session else { return 0 }
        return nghttp2_session_get_last_proc_stream_id(session)
    }

    /// Submits a response head; when `hasBody`, nghttp2 pulls the body through the read callback.
    func submitResponse(stream: Int32, headers: HTTP2HeaderBlock, hasBody: Bool) {
        guard let session = self.session else { return }
        headers.withNameValuePairs { nva in
            if hasBody {
                var provider = nghttp2_data_provider(
                    source: nghttp2_data_source(ptr: nil),
                    read_callback: HTTP2ServerCallbacks.readResponseBody
                )
                _ = nghttp2_submit_response(session, stream, nva.baseAddress, nva.count, &provider)
            } else {
                _ = nghttp2_submit_response(session, stream, nva.baseAddress, nva.count, nil)
            }
        }
    }

    /// Submits a response head whose body nghttp2 pulls through the read callback as it becomes available.
    func submitStreamingResponse(stream: Int32, headers: HTTP2HeaderBlock) {
        self.submitResponse(stream: stream, headers: headers, hasBody: true)
    }

    /// Tells nghttp2 that `stream`'s deferred response body has more data (or its end).
    func resumeData(stream: Int32) {
        guard let session = self.session else { return }
        _ = nghttp2_session_resume_data(session, stream)
    }

    /// Submits RST_STREAM for `stream`.
    func submitReset(stream: Int32, code: HTTP2ErrorCode) {
        guard let session = self.session else { return }
        _ = nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), stream, code.rawValue)
    }

    /// Submits the first GOAWAY of a graceful shutdown (last stream id 2^31-1): "stop opening streams soon".
    func submitShutdownNotice() {
        guard let session = self.session else { return }
        _ = nghttp2_submit_shutdown_notice(session)
    }

    /// Submits GOAWAY with the last processed stream id; streams above it are refused from now on. `reason`
    /// goes out as the frame's debug data.
    func submitGoaway(code: HTTP2ErrorCode, reason: StaticString = "") {
        guard let session = self.session else { return }
        let last = nghttp2_session_get_last_proc_stream_id(session)
        _ = nghttp2_submit_goaway(
            session,
            UInt8(NGHTTP2_FLAG_NONE.rawValue),
            last,
            code.rawValue,
            reason.utf8Start,
            reason.utf8CodeUnitCount
        )
    }
}
