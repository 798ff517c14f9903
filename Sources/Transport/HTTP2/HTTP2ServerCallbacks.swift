import CNghttp2

/// The nghttp2 callbacks of a server session. Each one finds its ``HTTP2ServerHandler`` through
/// nghttp2's `user_data` (passed unretained: the handler outlives the session it owns).
enum HTTP2ServerCallbacks {
    /// A new callback set; the caller frees it with `nghttp2_session_callbacks_del` after creating the session.
    static func make() -> OpaquePointer? {
        var callbacks: OpaquePointer?
        guard nghttp2_session_callbacks_new(&callbacks) == 0, let callbacks else { return nil }
        nghttp2_session_callbacks_set_on_begin_frame_callback(callbacks, Self.beginFrame)
        nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, Self.beginHeaders)
        nghttp2_session_callbacks_set_on_header_callback(callbacks, Self.header)
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, Self.dataChunk)
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, Self.frameReceived)
        nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, Self.frameSent)
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, Self.streamClosed)
        nghttp2_session_callbacks_set_send_data_callback(callbacks, Self.sendResponseBody)
        return callbacks
    }

    private static func handler(_ userData: UnsafeMutableRawPointer?) -> HTTP2ServerHandler? {
        guard let userData else { return nil }
        return Unmanaged<HTTP2ServerHandler>.fromOpaque(userData).takeUnretainedValue()
    }

    /// Watches header blocks as their frames begin: the stream identifier of each HEADERS frame (nghttp2 1.52
    /// ignores one that opens a stream below the highest opened so far, which RFC 9113 §5.1.1 makes a connection
    /// error), and whether a block waits for a CONTINUATION (``ConnectionLimits/requestHeadTimeout``).
    private static let beginFrame: nghttp2_on_begin_frame_callback = { session, header, userData in
        guard let header else { return 0 }
        let type = header.pointee.type
        guard type == UInt8(NGHTTP2_HEADERS.rawValue) || type == UInt8(NGHTTP2_CONTINUATION.rawValue),
            let handler = handler(userData)
        else { return 0 }
        let endHeaders = header.pointee.flags & UInt8(NGHTTP2_FLAG_END_HEADERS.rawValue) != 0
        if type == UInt8(NGHTTP2_CONTINUATION.rawValue) {
            handler.beginningContinuation(endHeaders: endHeaders)
        } else if !handler.beginningHeaders(header.pointee.stream_id, endHeaders: endHeaders) {
            // GOAWAY(PROTOCOL_ERROR); nghttp2 reads nothing more once it is queued.
            return nghttp2_session_terminate_session(session, NGHTTP2_PROTOCOL_ERROR.rawValue)
        }
        return 0
    }

    private static let beginHeaders: nghttp2_on_begin_headers_callback = { _, frame, userData in
        guard let frame, let handler = handler(userData) else { return 0 }
        if frame.pointee.hd.type == UInt8(NGHTTP2_HEADERS.rawValue),
            frame.pointee.headers.cat == NGHTTP2_HCAT_REQUEST
        {
            handler.streamOpened(frame.pointee.hd.stream_id)
        }
        return 0
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
        // Borrowed for the call: the head builder copies what it keeps.
        handler.receivedHeader(
            name: UnsafeBufferPointer(start: name, count: nameLength),
            value: UnsafeBufferPointer(start: value, count: valueLength),
            stream: frame.pointee.hd.stream_id
        )
        return 0
    }

    private static let dataChunk: nghttp2_on_data_chunk_recv_callback = { _, _, stream, data, length, userData in
        guard let handler = handler(userData) else { return 0 }
        handler.receivedData(UnsafeRawBufferPointer(start: data, count: length), stream: stream)
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
        default:
            break
        }
        return 0
    }

    private static let frameSent: nghttp2_on_frame_send_callback = { _, frame, userData in
        guard let frame, let handler = handler(userData) else { return 0 }
        let header = frame.pointee.hd
        if header.type == UInt8(NGHTTP2_HEADERS.rawValue) || header.type == UInt8(NGHTTP2_DATA.rawValue) {
            let endStream = header.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0
            handler.sentResponseFrame(header.stream_id, endStream: endStream)
        }
        return 0
    }

    /// A stream closes; nghttp2 still knows whether the client had ended its side (END_STREAM or RST_STREAM).
    private static let streamClosed: nghttp2_on_stream_close_callback = { session, stream, _, userData in
        let clientEnded = session.map { nghttp2_session_get_stream_remote_close($0, stream) == 1 } ?? false
        handler(userData)?.streamClosed(stream, clientEnded: clientEnded)
        return 0
    }

    /// The response body's data provider: says how much of the stored body the next DATA frame carries, without
    /// copying it (NGHTTP2_DATA_FLAG_NO_COPY); ``sendResponseBody`` then writes it straight to the output.
    static let readResponseBody: nghttp2_data_source_read_callback = { _, stream, _, length, flags, _, userData in
        guard let flags, let handler = handler(userData) else {
            return Int(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)
        }
        guard let (count, isEnd) = handler.readResponseBody(stream: stream, maxLength: length) else {
            return Int(NGHTTP2_ERR_DEFERRED.rawValue)  // a streamed body waits for its producer: resumed by resumeData
        }
        flags.pointee |= NGHTTP2_DATA_FLAG_NO_COPY.rawValue
        if isEnd { flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue }
        return count
    }

    /// Writes a DATA frame whose body the data provider left uncopied: the 9-byte frame header, then the body.
    private static let sendResponseBody: nghttp2_send_data_callback = { _, frame, frameHeader, length, _, userData in
        guard let frame, let frameHeader, let handler = handler(userData),
            handler.sendResponseBody(
                stream: frame.pointee.hd.stream_id,
                frameHeader: UnsafeRawBufferPointer(start: frameHeader, count: 9),
                length: length,
                padding: frame.pointee.data.padlen
            )
        else {
            return Int32(NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE.rawValue)  // resets the stream
        }
        return 0
    }
}
