/// The client stream identifiers a connection has used, enough to tell a HEADERS frame that opens a stream
/// below one already opened (RFC 9113 §5.1.1: a connection error of type PROTOCOL_ERROR) from trailers or a late
/// frame on a stream that did exist (which nghttp2 handles).
///
/// nghttp2 1.52 ignores such a HEADERS frame silently when it has no record of the stream. Identifiers a client
/// skipped are kept as a few ranges (clients rarely skip): when more ranges than ``maxRanges`` accumulate, the
/// oldest are forgotten and their identifiers are left to nghttp2 again, so the memory stays bounded.
struct HTTP2StreamIdentifiers {
    /// The highest stream identifier the peer used for a HEADERS frame.
    private(set) var highest: Int32 = 0
    private var skipped: [ClosedRange<Int32>] = []
    static let maxRanges = 16

    /// A HEADERS frame for `stream` begins. False when it would open a stream the client skipped earlier.
    mutating func beginHeaders(_ stream: Int32) -> Bool {
        guard stream > self.highest else {
            return !self.skipped.contains { $0.contains(stream) }
        }
        if stream > self.highest + 2 {
            if self.skipped.count == Self.maxRanges { self.skipped.removeFirst() }
            self.skipped.append((self.highest + 1)...(stream - 1))
        }
        self.highest = stream
        return true
    }
}
