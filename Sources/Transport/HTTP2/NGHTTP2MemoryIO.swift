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
        let rc = buffer.withUnsafeReadableBytes { bytes -> Int in
            guard let base = bytes.baseAddress else { return 0 }
            return nghttp2_session_mem_recv(session, base.assumingMemoryBound(to: UInt8.self), bytes.count)
        }
        return rc < 0 ? .fatal(code: Int32(truncatingIfNeeded: rc)) : .processed
    }

    /// Serialises the next pending frames of `session` and appends them to `buffer`.
    package static func sendNext(session: OpaquePointer, into buffer: inout ByteBuffer) -> SendStep {
        var data: UnsafePointer<UInt8>?
        let count = nghttp2_session_mem_send(session, &data)
        if count < 0 { return .fatal(code: Int32(truncatingIfNeeded: count)) }
        guard count > 0, let data else { return .idle }
        // Pointer valid only until the next mem_send call: copy now.
        buffer.writeBytes(UnsafeRawBufferPointer(start: data, count: count))
        return .wrote
    }
}
