import NIOCore
import Testing

@testable import GatehouseTransport

@Suite("Thread buffers")
struct ThreadBuffersTests {
    private func address(_ buffer: ByteBuffer) -> UnsafeRawPointer? {
        buffer.withVeryUnsafeBytes { UnsafeRawPointer($0.baseAddress) }
    }

    /// Takes a buffer, writes `text`, recycles it and lets go of it (as a finished socket write does); returns
    /// its storage's address.
    private func fillAndRecycle(_ buffers: ThreadBuffers, _ purpose: ThreadBuffers.Purpose, _ text: String)
        -> UnsafeRawPointer?
    {
        var buffer = buffers.take(purpose, minimumCapacity: 1_024)
        buffer.writeString(text)
        buffers.recycle(buffer, as: purpose)
        return self.address(buffer)
    }

    @Test func aReleasedBufferIsReusedWithoutAllocating() {
        let buffers = ThreadBuffers()
        let storage = self.fillAndRecycle(buffers, .tlsCiphertextOut, "first response")

        let second = buffers.take(.tlsCiphertextOut, minimumCapacity: 1_024)
        #expect(self.address(second) == storage)
        #expect(second.readableBytes == 0)
    }

    @Test func aBufferStillHeldElsewhereIsNeverOverwritten() {
        let buffers = ThreadBuffers()
        var sent = buffers.take(.http1ResponseOut, minimumCapacity: 64)
        sent.writeString("still queued for the socket")
        buffers.recycle(sent, as: .http1ResponseOut)

        var next = buffers.take(.http1ResponseOut, minimumCapacity: 64)
        next.writeString("next")
        #expect(self.address(next) != self.address(sent))
        #expect(sent.getString(at: sent.readerIndex, length: sent.readableBytes) == "still queued for the socket")
    }

    @Test func purposesDoNotShareASlot() {
        let buffers = ThreadBuffers()
        let storage = self.fillAndRecycle(buffers, .tlsPlaintextIn, "GET / HTTP/1.1\r\n")

        #expect(self.address(buffers.take(.tlsCiphertextOut, minimumCapacity: 64)) != storage)
        #expect(self.address(buffers.take(.tlsPlaintextIn, minimumCapacity: 64)) == storage)
    }

    @Test func aLargeBufferIsNotKept() {
        let buffers = ThreadBuffers()
        var large = buffers.take(.tlsCiphertextOut, minimumCapacity: ThreadBuffers.maxKeptCapacity + 1)
        large.writeRepeatingByte(0, count: 16)
        buffers.recycle(large, as: .tlsCiphertextOut)

        #expect(buffers.take(.tlsCiphertextOut, minimumCapacity: 64).capacity <= ThreadBuffers.maxKeptCapacity)
    }
}
