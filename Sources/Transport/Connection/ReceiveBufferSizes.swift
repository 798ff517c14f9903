import NIOCore

/// The receive-buffer sizes of a connection after its TLS handshake: NIO's adaptive rule (double after a read that
/// filled the buffer, halve after two reads that used at most half of it) between fixed bounds, 512 bytes first.
///
/// The same rule as `AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 65_536)`, in 8 bytes: the
/// channel keeps its allocator in an existential, whose inline buffer holds three words, so NIO's 41-byte allocator
/// takes a heap box for every connection's life and this one does not. 512 bytes, not NIO's 2 KiB, because each
/// channel keeps its buffer for reuse at the largest size it ever asked for, and an idle connection's TLS records are
/// small; the buffer grows as reads fill it (up to 64 KiB for uploads and HTTP/2).
struct ReceiveBufferSizes: RecvByteBufferAllocator {
    static let minimum: UInt32 = 64
    static let initial: UInt32 = 512
    static let maximum: UInt32 = 65_536

    private var next = Self.initial
    private var decreaseNow = false

    func buffer(allocator: ByteBufferAllocator) -> ByteBuffer {
        allocator.buffer(capacity: Int(self.next))
    }

    func nextBufferSize() -> Int? {
        Int(self.next)
    }

    mutating func record(actualReadBytes: Int) -> Bool {
        let lowerBound = self.next &>> 1
        let upperBound = self.next &<< 1
        if actualReadBytes <= Int(lowerBound) && lowerBound >= Self.minimum {
            if self.decreaseNow {
                self.next = lowerBound
                self.decreaseNow = false
            } else {
                self.decreaseNow = true
            }
            return false
        }
        self.decreaseNow = false
        guard actualReadBytes >= Int(self.next), upperBound <= Self.maximum else { return false }
        self.next = upperBound
        return true
    }
}
