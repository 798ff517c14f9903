import CNghttp2
package import NIOCore

/// Moves bytes in and out of an nghttp2 session through memory: the half of a session owner that the server's
/// (``HTTP2ServerSession``) and the client's session share.
package enum NGHTTP2MemoryIO {
    /// What feeding input did to the session.
    package enum ReceiveResult: Equatable {
        case processed
        /// The connection is unusable (bad preface or frames, flood, callback failure); send what is queued
        /// and close.
        case fatal(code: Int32)
    }

    /// One step of an output loop.
    package enum SendStep: Equatable {
        case wrote
        case idle
        case fatal(code: Int32)
    }

    /// Feeds `buffer`'s readable bytes to `session` (`nghttp2_session*`); callbacks run inside this call.
    package static func receive(_ buffer: ByteBuffer, session: OpaquePointer) -> ReceiveResult {
        buffer.withUnsafeReadableBytes { self.receive($0, session: session) }
    }

    /// Feeds `bytes` to `session` (`nghttp2_session*`); callbacks run inside this call.
    package static func receive(_ bytes: UnsafeRawBufferPointer, session: OpaquePointer) -> ReceiveResult {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return .processed }
        let rc = nghttp2_session_mem_recv(session, base.assumingMemoryBound(to: UInt8.self), bytes.count)
        return rc < 0 ? .fatal(code: Int32(truncatingIfNeeded: rc)) : .processed
    }

    /// Serialises the next pending frames of `session` and appends them to `buffer`.
    package static func sendNext(session: OpaquePointer, into buffer: inout ByteBuffer) -> SendStep {
        self.sendNext(session: session) { buffer.writeBytes($0) }
    }

    /// Serialises the next pending frames of `session` and lends them to `body`, which runs after nghttp2
    /// returned (so after any callbacks of this step) and must copy what it keeps.
    package static func sendNext(session: OpaquePointer, _ body: (UnsafeRawBufferPointer) -> Void) -> SendStep {
        var data: UnsafePointer<UInt8>?
        let count = nghttp2_session_mem_send(session, &data)
        if count < 0 { return .fatal(code: Int32(truncatingIfNeeded: count)) }
        // No bytes is not the end when a callback sent a DATA frame itself (NGHTTP2_DATA_FLAG_NO_COPY): nghttp2
        // returns 0 only when nothing is left to send.
        guard count > 0, let data else { return .idle }
        // Pointer valid only until the next mem_send call.
        body(UnsafeRawBufferPointer(start: data, count: count))
        return .wrote
    }
}
