import NIOCore

/// How the HTTP/1.x targets deliver one input: in one piece, one byte at a time, and in pieces whose sizes follow from
/// the bytes. A parser must give the same events whichever way the bytes arrive.
enum InputSplits {
    /// The events `events` gives for `input` in each of the three splits, which must be equal; returns them.
    static func sameEvents<Event: Equatable>(
        _ input: UnsafeRawBufferPointer,
        _ events: (_ pieceSizes: (Int) -> Int) -> [Event]
    ) -> [Event] {
        let whole = events { _ in input.count }
        let byteByByte = events { _ in 1 }
        var state = input.reduce(UInt32(2_166_136_261)) { ($0 ^ UInt32($1)) &* 16_777_619 }  // FNV-1a
        let varied = events { _ in
            state = state &* 1_103_515_245 &+ 12_345
            return Int(state >> 16) % 64 + 1
        }
        precondition(whole == byteByByte, "split into bytes: \(byteByByte)\nin one piece: \(whole)")
        precondition(whole == varied, "split into pieces: \(varied)\nin one piece: \(whole)")
        return whole
    }

    /// Appends `input` to a buffer in pieces of the sizes `pieceSizes` gives, calling `drain` after each piece;
    /// returns `true` when `drain` asked to stop (the parser failed) before the input ended.
    static func feed(
        _ input: UnsafeRawBufferPointer,
        pieceSizes: (Int) -> Int,
        drain: (inout ByteBuffer) -> Bool
    ) -> Bool {
        var buffer = ByteBuffer()
        var offset = 0
        while offset < input.count {
            let end = min(input.count, offset + max(1, pieceSizes(offset)))
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: input[offset..<end]))
            offset = end
            if drain(&buffer) { return true }
        }
        return false
    }
}
