import Testing

@testable import GatehouseTransport

@Suite("HTTP/2 closed streams and inbound frame headers")
struct HTTP2ClosedStreamsTests {
    @Test func keepsTheMostRecentIdentifiersUpToItsCapacity() {
        var closed = HTTP2ClosedStreams(capacity: 3)
        for stream: Int32 in [1, 3, 5] { closed.insert(stream) }
        #expect([1, 3, 5].allSatisfy { closed.contains($0) })
        closed.insert(7)
        #expect(!closed.contains(1))
        #expect([3, 5, 7].allSatisfy { closed.contains($0) })
        closed.insert(9)
        closed.insert(11)
        closed.insert(13)
        #expect([9, 11, 13].allSatisfy { closed.contains($0) })
        #expect(![3, 5, 7].contains { closed.contains($0) })
    }

    @Test func aCapacityBelowOneKeepsOne() {
        var closed = HTTP2ClosedStreams(capacity: 0)
        closed.insert(1)
        closed.insert(3)
        #expect(closed.contains(3))
        #expect(!closed.contains(1))
    }

    /// The client preface, a SETTINGS frame, a HEADERS frame with END_STREAM on stream 1, a DATA frame of 300 bytes
    /// on stream 3 and an RST_STREAM on stream 0x7fff_ffff with the reserved bit set on the wire.
    static let input: [UInt8] = {
        var bytes = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
        bytes += [0, 0, 6, 0x4, 0, 0, 0, 0, 0] + [0, 3, 0, 0, 0, 100]
        bytes += [0, 0, 4, 0x1, 0x5, 0, 0, 0, 1] + [0x82, 0x84, 0x87, 0x41]
        bytes += [0, 1, 44, 0x0, 0x0, 0, 0, 0, 3] + [UInt8](repeating: 0x61, count: 300)
        bytes += [0, 0, 4, 0x3, 0, 0xff, 0xff, 0xff, 0xff] + [0, 0, 0, 8]
        return bytes
    }()

    static let expected: [(HTTP2InboundFrameHeaders.Header, start: Int)] = [
        (.init(length: 6, type: 0x4, flags: 0, stream: 0), 24),
        (.init(length: 4, type: 0x1, flags: 0x5, stream: 1), 39),
        (.init(length: 300, type: 0x0, flags: 0, stream: 3), 52),
        (.init(length: 4, type: 0x3, flags: 0, stream: 0x7fff_ffff), 361),
    ]

    /// Every way of cutting the input in two reads gives the same headers at the same places.
    @Test func findsEveryFrameHeaderWhereverTheReadsSplitTheInput() {
        for cut in 0...Self.input.count {
            var frames = HTTP2InboundFrameHeaders()
            var found: [(HTTP2InboundFrameHeaders.Header, start: Int)] = []
            for (base, part) in [(0, Self.input[..<cut]), (cut, Self.input[cut...])] {
                Array(part).withUnsafeBytes { bytes in
                    var offset = 0
                    while let (header, start) = frames.next(in: bytes, from: &offset) {
                        found.append((header, base + start))
                    }
                    #expect(offset == bytes.count)
                }
            }
            #expect(found.map(\.0) == Self.expected.map(\.0), "cut at \(cut)")
            #expect(found.map(\.start) == Self.expected.map(\.start), "cut at \(cut)")
        }
    }

    @Test func findsEveryFrameHeaderReadByteByByte() {
        var frames = HTTP2InboundFrameHeaders()
        var found: [HTTP2InboundFrameHeaders.Header] = []
        for byte in Self.input {
            [byte].withUnsafeBytes { bytes in
                var offset = 0
                while let (header, _) = frames.next(in: bytes, from: &offset) { found.append(header) }
            }
        }
        #expect(found == Self.expected.map(\.0))
    }
}
