/// The client streams most recently closed after the client had ended its side of them (END_STREAM or RST_STREAM):
/// a DATA or HEADERS frame on one of them is a connection error of type STREAM_CLOSED (RFC 9113 §5.1).
///
/// nghttp2 1.52 would keep the streams themselves for this (and for its RFC 7540 priority tree): up to
/// SETTINGS_MAX_CONCURRENT_STREAMS of them per connection, each an allocation of about 240 bytes and a slot in its
/// stream map, freed one per new stream — state a busy connection keeps and touches on every request, whatever
/// the number of connections. The server session turns that off (`nghttp2_option_set_no_closed_streams`) and keeps
/// only the identifiers, as many as nghttp2 kept streams: 4 bytes each, the oldest forgotten first. A frame on a
/// stream forgotten here is ignored, as nghttp2 ignores one on a stream it no longer keeps.
struct HTTP2ClosedStreams {
    /// How many identifiers are kept.
    let capacity: Int
    private var identifiers: [Int32] = []
    /// Where the next identifier goes once the storage is full: the oldest one's slot.
    private var oldest = 0

    /// Keeps up to `capacity` identifiers (at least one).
    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Remembers `stream`, forgetting the oldest identifier when `capacity` are kept.
    mutating func insert(_ stream: Int32) {
        if self.identifiers.count < self.capacity {
            self.identifiers.append(stream)
        } else {
            self.identifiers[self.oldest] = stream
            self.oldest = self.oldest + 1 == self.capacity ? 0 : self.oldest + 1
        }
    }

    /// True when `stream` is among the identifiers kept.
    func contains(_ stream: Int32) -> Bool {
        self.identifiers.contains(stream)
    }
}
