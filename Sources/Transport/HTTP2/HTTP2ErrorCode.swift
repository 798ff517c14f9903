/// An HTTP/2 error code (RFC 9113 §7) as carried by RST_STREAM and GOAWAY.
struct HTTP2ErrorCode: Hashable, Sendable {
    var rawValue: UInt32

    static let noError = HTTP2ErrorCode(rawValue: 0x0)
    static let protocolError = HTTP2ErrorCode(rawValue: 0x1)
    static let internalError = HTTP2ErrorCode(rawValue: 0x2)
    static let streamClosed = HTTP2ErrorCode(rawValue: 0x5)
    static let refusedStream = HTTP2ErrorCode(rawValue: 0x7)
    static let cancel = HTTP2ErrorCode(rawValue: 0x8)
}
