import COpenSSL
import GatehouseCertificates
import NIOCore

/// A BIO that lets OpenSSL read ciphertext straight from the `ByteBuffer` the channel received and write
/// ciphertext straight into a `ByteBuffer` for the channel, so no copy sits in a memory BIO in between.
///
/// Holds nothing between reads: the received buffer is released as soon as OpenSSL has taken its last byte (NIO
/// then reuses it for the next read), and the outbound buffer is handed over whole by ``takeOutput()``. An idle
/// connection therefore keeps no ciphertext buffer at all, where a pair of memory BIOs keeps the capacity of the
/// largest flight each way. The outbound buffer comes from the thread's ``ThreadBuffers``, so a steady stream of
/// writes reuses one storage once the socket has sent the last. Not thread-safe: used from the thread that
/// created it (its event loop), like its ``TLSConnection``.
final class ByteBufferBIO {
    /// The `BIO*`, created with one reference, which `SSL_set_bio` takes over.
    let bio: OpaquePointer
    /// The connection whose `SSL*` owns this BIO, for OpenSSL's callbacks (verify, tickets), which find it through
    /// the `SSL*`'s BIO instead of an ex_data slot that would cost the `SSL*` two allocations. Unowned: the
    /// connection owns the `SSL*`, which owns the BIO, so the connection outlives every callback.
    unowned(unsafe) var connection: TLSConnection? = nil
    private var input: ByteBuffer?
    private var output: ByteBuffer?
    private let buffers: ThreadBuffers

    /// Creates the BIO; it points back at this object, which must outlive it (the owning connection frees the SSL,
    /// and with it the BIO, before releasing this object).
    init() throws {
        guard let method = byteBufferBIOMethod.method, let bio = BIO_new(method) else {
            throw TLSError(.handshakeFailed, "BIO_new: \(OpenSSLErrorQueue.drain())")
        }
        self.bio = bio
        self.buffers = ThreadBuffers.current
        BIO_set_data(bio, Unmanaged.passUnretained(self).toOpaque())
        BIO_set_init(bio, 1)
    }

    /// Queues ciphertext received from the peer; the buffer is kept (not copied) until OpenSSL has read it.
    func feed(_ ciphertext: ByteBuffer) {
        guard ciphertext.readableBytes > 0 else { return }
        if var input = self.input {
            self.input = nil  // keep the buffer uniquely referenced while appending
            var more = ciphertext
            input.writeBuffer(&more)
            self.input = input
        } else {
            self.input = ciphertext
        }
    }

    /// Ciphertext received but not yet read by OpenSSL.
    var pendingInput: Int { self.input?.readableBytes ?? 0 }

    /// Ciphertext written by OpenSSL but not yet taken.
    var pendingOutput: Int { self.output?.readableBytes ?? 0 }

    /// Takes all the ciphertext OpenSSL has written, or `nil` when there is none.
    func takeOutput() -> ByteBuffer? {
        guard let output = self.output, output.readableBytes > 0 else { return nil }
        self.output = nil
        self.buffers.recycle(output, as: .tlsCiphertextOut)
        return output
    }

    fileprivate func read(into destination: UnsafeMutableRawBufferPointer) -> Int? {
        guard var input = self.input, input.readableBytes > 0 else { return nil }
        self.input = nil
        let count = min(destination.count, input.readableBytes)
        input.withUnsafeReadableBytes { source in
            destination.baseAddress!.copyMemory(from: source.baseAddress!, byteCount: count)
        }
        input.moveReaderIndex(forwardBy: count)
        // Release NIO's receive buffer as soon as it is consumed, so the next read reuses it instead of allocating.
        self.input = input.readableBytes > 0 ? input : nil
        return count
    }

    fileprivate func write(_ source: UnsafeRawBufferPointer) {
        if var output = self.output {
            self.output = nil
            output.writeBytes(source)
            self.output = output
        } else {
            var output = self.buffers.take(.tlsCiphertextOut, minimumCapacity: max(source.count, 1_024))
            output.writeBytes(source)
            self.output = output
        }
    }
}

/// The `BIO_METHOD` shared by every ``ByteBufferBIO``, built once.
// @unchecked: the BIO_METHOD is built once at first use and never changed; OpenSSL only reads it.
private struct ByteBufferBIOMethod: @unchecked Sendable {
    let method: OpaquePointer?
    /// The method's BIO type (`BIO_method_type` of each of its BIOs).
    let type: Int32

    init() {
        self.type = BIO_get_new_index() | BIO_TYPE_SOURCE_SINK
        guard let method = BIO_meth_new(self.type, "gatehouse ByteBuffer") else {
            self.method = nil
            return
        }
        BIO_meth_set_write(method, byteBufferBIOWrite)
        BIO_meth_set_read(method, byteBufferBIORead)
        BIO_meth_set_ctrl(method, byteBufferBIOControl)
        BIO_meth_set_create(
            method,
            { bio in
                BIO_set_init(bio, 0)
                return 1
            }
        )
        BIO_meth_set_destroy(
            method,
            { bio in
                BIO_set_data(bio, nil)
                BIO_set_init(bio, 0)
                return 1
            }
        )
        self.method = method
    }
}

private let byteBufferBIOMethod = ByteBufferBIOMethod()

/// The ``ByteBufferBIO`` that `bio` belongs to, unretained: a callback reaches it through
/// `_withUnsafeGuaranteedRef`, which needs no retain and release around the call (two atomic operations, on every
/// record read and written). Valid for the callback's duration: the owner outlives its BIO (see `init`).
private func owner(_ bio: OpaquePointer?) -> Unmanaged<ByteBufferBIO>? {
    guard let bio, let data = BIO_get_data(bio) else { return nil }
    return Unmanaged<ByteBufferBIO>.fromOpaque(data)
}

/// The server connection that `ssl` belongs to (set in ``TLSConnection/init(context:)``): through its read BIO,
/// when that is a ``ByteBufferBIO``; `nil` for an `SSL*` with another BIO or of a client connection.
func serverConnection(of ssl: OpaquePointer) -> TLSConnection? {
    guard let bio = SSL_get_rbio(ssl), BIO_method_type(bio) == byteBufferBIOMethod.type else { return nil }
    return owner(bio)?._withUnsafeGuaranteedRef { $0.connection }
}

private let retryFlags = Int32(BIO_FLAGS_READ | BIO_FLAGS_WRITE | BIO_FLAGS_IO_SPECIAL | BIO_FLAGS_SHOULD_RETRY)

private let byteBufferBIOWrite: @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, Int32) -> Int32 = {
    bio,
    data,
    length in
    BIO_clear_flags(bio, retryFlags)
    guard let owner = owner(bio), let data, length > 0 else { return 0 }
    owner._withUnsafeGuaranteedRef { $0.write(UnsafeRawBufferPointer(start: data, count: Int(length))) }
    return length
}

private let byteBufferBIORead: @convention(c) (OpaquePointer?, UnsafeMutablePointer<CChar>?, Int32) -> Int32 = {
    bio,
    data,
    length in
    BIO_clear_flags(bio, retryFlags)
    guard let owner = owner(bio), let data, length > 0 else { return 0 }
    let destination = UnsafeMutableRawBufferPointer(start: data, count: Int(length))
    guard let count = owner._withUnsafeGuaranteedRef({ $0.read(into: destination) }) else {
        BIO_set_flags(bio, Int32(BIO_FLAGS_READ | BIO_FLAGS_SHOULD_RETRY))  // empty means "retry", not EOF
        return -1
    }
    return Int32(count)
}

private let byteBufferBIOControl: @convention(c) (OpaquePointer?, Int32, Int, UnsafeMutableRawPointer?) -> Int = {
    bio,
    command,
    _,
    _ in
    switch command {
    case BIO_CTRL_FLUSH:
        return 1
    case BIO_CTRL_PENDING:
        return owner(bio)?._withUnsafeGuaranteedRef { $0.pendingInput } ?? 0
    case BIO_CTRL_WPENDING:
        return owner(bio)?._withUnsafeGuaranteedRef { $0.pendingOutput } ?? 0
    default:
        return 0
    }
}
