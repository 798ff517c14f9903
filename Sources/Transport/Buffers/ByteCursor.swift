public import NIOCore

/// Appends bytes one after another into memory reserved beforehand, checking each append against the end.
///
/// ``NIOCore/ByteBuffer/writeWithCursor(reserving:_:)`` hands one over. Text built from a few small pieces, such
/// as a response head, costs less this way: each `writeString` or `writeStaticString` on a `ByteBuffer` pays a
/// uniqueness check, a capacity check and an exclusivity check, which together cost more than the bytes.
///
/// ```swift
/// var body = ByteBuffer()
/// body.writeWithCursor(reserving: 8 + name.utf8.count) { cursor in
///     cursor.append("Hello, ")
///     cursor.append(name)
///     cursor.append(".")
/// }
/// ```
public struct ByteCursor: ~Copyable {
    private let memory: UnsafeMutableRawBufferPointer
    /// Bytes written so far.
    public private(set) var count = 0

    fileprivate init(_ memory: UnsafeMutableRawBufferPointer) {
        self.memory = memory
    }

    @inline(__always)
    private mutating func append(_ source: UnsafeRawBufferPointer) {
        precondition(source.count <= self.memory.count - self.count, "ByteCursor: more bytes than were reserved")
        guard let from = source.baseAddress, let to = self.memory.baseAddress else { return }
        (to + self.count).copyMemory(from: from, byteCount: source.count)
        self.count += source.count
    }

    /// Appends the UTF-8 bytes of `text`.
    @inline(__always)
    public mutating func append(_ text: StaticString) {
        self.append(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Appends the UTF-8 bytes of `text`.
    @inline(__always)
    public mutating func append(_ text: String) {
        // Native strings are contiguous UTF-8: no copy. Others (bridged, shared) are copied once.
        let done: Void? = text.utf8.withContiguousStorageIfAvailable { self.append(UnsafeRawBufferPointer($0)) }
        if done == nil {
            var copy = text
            copy.withUTF8 { self.append(UnsafeRawBufferPointer($0)) }
        }
    }

    /// Appends `bytes`.
    @inline(__always)
    public mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { self.append($0) }
    }

    /// Appends the readable bytes of `bytes`.
    @inline(__always)
    public mutating func append(_ bytes: ByteBuffer) {
        bytes.withUnsafeReadableBytes { self.append($0) }
    }

    /// Appends one byte.
    @inline(__always)
    public mutating func append(_ byte: UInt8) {
        precondition(self.count < self.memory.count, "ByteCursor: more bytes than were reserved")
        self.memory[self.count] = byte
        self.count += 1
    }

    /// Appends `value` (clamped at 0) in decimal, without a `String`.
    public mutating func appendDecimal(_ value: Int) {
        var remaining = max(value, 0)
        var divisor = 1
        while remaining / divisor >= 10 { divisor *= 10 }
        repeat {
            self.append(UInt8(ascii: "0") + UInt8(remaining / divisor))
            remaining %= divisor
            divisor /= 10
        } while divisor > 0
    }

    /// The most bytes ``appendDecimal(_:)`` writes.
    public static let maxDecimalLength = 19
}

extension ByteBuffer {
    /// Reserves `byteCount` bytes and writes up to that many through a ``ByteCursor``, in one step; the cursor traps
    /// if `body` appends more.
    public mutating func writeWithCursor(reserving byteCount: Int, _ body: (inout ByteCursor) -> Void) {
        self.writeWithUnsafeMutableBytes(minimumWritableBytes: byteCount) { memory in
            var cursor = ByteCursor(UnsafeMutableRawBufferPointer(rebasing: memory[..<byteCount]))
            body(&cursor)
            return cursor.count
        }
    }
}
