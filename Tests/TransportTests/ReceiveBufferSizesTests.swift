import NIOCore
import Testing

@testable import GatehouseTransport

@Suite struct ReceiveBufferSizesTests {
    /// The channel keeps its receive allocator in an existential: three words fit without a heap box.
    @Test func fitsAnExistentialsInlineBuffer() {
        #expect(MemoryLayout<ReceiveBufferSizes>.size <= 3 * MemoryLayout<Int>.size)
        #expect(MemoryLayout<AdaptiveRecvByteBufferAllocator>.size > 3 * MemoryLayout<Int>.size)
    }

    /// Every read size, in any order, moves it as NIO's adaptive allocator with the same bounds.
    @Test func sizesBuffersAsNIOsAdaptiveAllocator() {
        var ours = ReceiveBufferSizes()
        var nio = AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 65_536)
        var generator = SplitMix64(seed: 17)
        let allocator = ByteBufferAllocator()
        for step in 0..<20_000 {
            #expect(ours.nextBufferSize() == nio.nextBufferSize(), "step \(step)")
            #expect(ours.buffer(allocator: allocator).capacity == nio.buffer(allocator: allocator).capacity)
            // Runs of full reads (growth) and of small ones (shrinking), and sizes around each boundary.
            let next = nio.nextBufferSize() ?? 0
            let read: Int
            switch generator.next() % 4 {
            case 0: read = next
            case 1: read = next / 2
            case 2: read = Int(generator.next() % 70_000)
            default: read = max(0, next / 2 + Int(generator.next() % 3) - 1)
            }
            #expect(ours.record(actualReadBytes: read) == nio.record(actualReadBytes: read), "step \(step), \(read)")
        }
    }
}

/// A small deterministic generator, so that a failure repeats.
private struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { self.state = seed }
    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
