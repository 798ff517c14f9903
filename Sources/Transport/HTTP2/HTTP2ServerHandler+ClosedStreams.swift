import CNghttp2
import NIOCore

/// Frames on closed streams, checked before nghttp2 reads them (``HTTP2ClosedStreams``: nghttp2 keeps no closed
/// streams on this server).
///
/// The input is fed to nghttp2 in one piece unless a DATA or HEADERS frame arrives on a stream that is not new: if
/// that stream was closed after the client ended it, the frames before it are fed and the connection ends with
/// GOAWAY(STREAM_CLOSED), as nghttp2 would have ended it. A frame that could close a stream (RST_STREAM, END_STREAM
/// on an existing stream) makes the next such check feed the frames before it first, so the closed streams it
/// checks against are those nghttp2 has seen.
extension HTTP2ServerHandler {
    /// Feeds the client's input to `session`, ending the connection at the first frame on a closed stream.
    func receive(_ buffer: ByteBuffer, into session: HTTP2ServerSession) -> HTTP2ServerSession.ReceiveResult {
        buffer.withUnsafeReadableBytes { bytes in
            var offset = 0
            var fed = 0
            var closingFrameUnfed = false
            while let (header, start) = self.inboundFrames.next(in: bytes, from: &offset) {
                switch header.type {
                case UInt8(NGHTTP2_DATA.rawValue), UInt8(NGHTTP2_HEADERS.rawValue):
                    if header.stream > self.inboundFrames.highestStream {
                        // A new stream (or an idle one, which nghttp2 refuses): nothing closed to check.
                        if header.type == UInt8(NGHTTP2_HEADERS.rawValue) && header.stream & 1 == 1 {
                            self.inboundFrames.highestStream = header.stream
                        }
                        continue
                    }
                    if closingFrameUnfed || self.closedStreams.contains(header.stream) {
                        let end = max(start, fed)
                        if end > fed {
                            let result = session.receive(UnsafeRawBufferPointer(rebasing: bytes[fed..<end]))
                            fed = end
                            if case .fatal = result { return result }
                        }
                        closingFrameUnfed = false
                        if self.closedStreams.contains(header.stream) {
                            session.terminate(code: .streamClosed)
                            return .processed
                        }
                    }
                    if header.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0 { closingFrameUnfed = true }
                case UInt8(NGHTTP2_RST_STREAM.rawValue):
                    closingFrameUnfed = true
                default:
                    break
                }
            }
            guard fed < bytes.count else { return .processed }
            return session.receive(UnsafeRawBufferPointer(rebasing: bytes[fed...]))
        }
    }
}
