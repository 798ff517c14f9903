import NIOCore
import NIOPosix

/// Scratch buffers shared by every connection served on one thread (one event loop): TLS plaintext read out of
/// OpenSSL, ciphertext OpenSSL writes, and serialized HTTP/1.1 responses.
///
/// A connection takes a buffer, fills it and hands it on down the pipeline; once the next handler (or the
/// socket write) lets go of it, the storage is unique again and the next `take` reuses it without allocating.
/// A buffer that is still referenced (a partial socket write, a request body kept by a function) is simply
/// left to its holder: `clear()` on shared storage allocates fresh storage, so sharing is never observable.
/// Idle connections hold none of these buffers, which keeps their memory down.
///
/// Not thread-safe by design: one instance per thread, reached through ``current``, used only on that thread.
final class ThreadBuffers {
    /// What a buffer is used for; each purpose has its own slot.
    enum Purpose {
        case tlsPlaintextIn
        case tlsCiphertextOut
        case http1ResponseOut
    }

    /// A buffer that grew past this many bytes is not kept.
    static let maxKeptCapacity = 64 * 1024

    // `@exclusivity(unchecked)`: one thread only, and `take`/`recycle` call out to nothing that could re-enter.
    @exclusivity(unchecked) private var tlsPlaintextIn: ByteBuffer?
    @exclusivity(unchecked) private var tlsCiphertextOut: ByteBuffer?
    @exclusivity(unchecked) private var http1ResponseOut: ByteBuffer?
    private let allocator = ByteBufferAllocator()

    // nonisolated(unsafe): the variable itself is immutable and thread-safe; each thread only ever reads and writes
    // its own value.
    private nonisolated(unsafe) static let perThread = ThreadSpecificVariable<ThreadBuffers>()

    /// The calling thread's instance, created on first use. Look it up once per connection, not per use.
    static var current: ThreadBuffers {
        if let buffers = Self.perThread.currentValue { return buffers }
        let buffers = ThreadBuffers()
        Self.perThread.currentValue = buffers
        return buffers
    }

    /// An empty buffer with at least `minimumCapacity` bytes, reusing the slot's storage when nothing else holds it.
    func take(_ purpose: Purpose, minimumCapacity: Int) -> ByteBuffer {
        guard var buffer = self.takeKept(purpose) else { return self.allocator.buffer(capacity: minimumCapacity) }
        // `clear()` reads the storage's capacity once, `clear(minimumCapacity:)` twice, each read with a dynamic
        // exclusivity check (NIO's storage is a class): the kept buffer is usually large enough already.
        if buffer.capacity >= minimumCapacity {
            buffer.clear()
        } else {
            buffer.clear(minimumCapacity: minimumCapacity)
        }
        return buffer
    }

    /// Moves the kept buffer out of its slot, so the slot holds no second reference while it is cleared.
    private func takeKept(_ purpose: Purpose) -> ByteBuffer? {
        switch purpose {
        case .tlsPlaintextIn: self.tlsPlaintextIn.take()
        case .tlsCiphertextOut: self.tlsCiphertextOut.take()
        case .http1ResponseOut: self.http1ResponseOut.take()
        }
    }

    /// Keeps `buffer` (shared with whoever still reads it) for the next ``take(_:minimumCapacity:)``.
    func recycle(_ buffer: ByteBuffer, as purpose: Purpose) {
        guard buffer.capacity <= Self.maxKeptCapacity else { return }
        switch purpose {
        case .tlsPlaintextIn: self.tlsPlaintextIn = buffer
        case .tlsCiphertextOut: self.tlsCiphertextOut = buffer
        case .http1ResponseOut: self.http1ResponseOut = buffer
        }
    }
}
