import CNghttp2

/// The nghttp2 callbacks of a client session. Each one finds its ``HTTP2ClientHandler`` through nghttp2's
/// `user_data` (passed unretained: the handler outlives the session it owns).
enum HTTP2ClientCallbacks {
    /// A new callback set; the caller frees it with `nghttp2_session_callbacks_del` after creating the session.
    static func make() -> OpaquePointer? {
        var callbacks: OpaquePointer?
        guard nghttp2_session_callbacks_new(&callbacks) == 0, let callbacks else { return nil }
        nghttp2_session_callbacks_set_on_header_callback(callbacks, Self.header)
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, Self.dataChunk)
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, Self.frameReceived)
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, Self.streamClosed)
        return callbacks
    }

    private static func handler(_ userData: UnsafeMutableRawPointer?) -> HTTP2ClientHandler? {
        guard let userData else { return nil }
        return Unmanaged<HTTP2ClientHandler>.fromOpaque(userData).takeUnretainedValue()
    }

    private static let header: nghttp2_on_header_callback = {
        _,
        frame,
        name,
        nameLength,
        value,
        valueLength,
        _,
        userData in
        guard let frame, let handler = handler(userData) else { return 0 }
        // Borrowed for the callback only: copied into Strings.
        let name = String(decoding: UnsafeBufferPointer(start: name, count: nameLength), as: UTF8.self)
        let value = String(decoding: UnsafeBufferPointer(start: value, count: valueLength), as: UTF8.self)
        handler.receivedField(name: name, value: value, stream: frame.pointee.hd.stream_id)
        return 0
    }

    private static let dataChunk: nghttp2_on_data_chunk_recv_callback = { _, _, stream, data, length, userData in
        handler(userData)?.receivedData(UnsafeRawBufferPointer(start: data, count: length), stream: stream)
        return 0
    }

    private static let frameReceived: nghttp2_on_frame_recv_callback = { _, frame, userData in
        guard let frame, let handler = handler(userData) else { return 0 }
        let header = frame.pointee.hd
        let endStream = header.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
        switch Int(header.type) {
        case Int(NGHTTP2_HEADERS.rawValue):
            handler.receivedEndOfHeaders(stream: header.stream_id, endStream: endStream)
        case Int(NGHTTP2_DATA.rawValue) where endStream:
            handler.receivedEndOfStream(header.stream_id)
        case Int(NGHTTP2_GOAWAY.rawValue):
            handler.receivedGoaway()
        default:
            break
        }
        return 0
    }

    private static let streamClosed: nghttp2_on_stream_close_callback = { _, stream, errorCode, userData in
        handler(userData)?.streamClosed(stream, errorCode: errorCode)
        return 0
    }

    /// The request body's data provider: copies the next slice of the stored body into nghttp2's buffer.
    static let readRequestBody: nghttp2_data_source_read_callback = { _, stream, buffer, length, flags, _, userData in
        guard let buffer, let flags, let handler = handler(userData) else {
            return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
        }
        let (count, isEnd) = handler.readRequestBody(
            stream: stream,
            into: UnsafeMutableRawBufferPointer(start: buffer, count: length)
        )
        if count < 0 { return count }  // NGHTTP2_ERR_DEFERRED: a streamed body with nothing waiting
        if isEnd { flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue }
        return count
    }
}
