import GatehouseTransport
import NIOCore
import Testing

@Suite("ByteCursor")
struct ByteCursorTests {
    @Test func appendsEveryKindOfPieceInOrderAfterWhatTheBufferHeld() {
        var buffer = ByteBuffer(string: ">")
        let name = String(repeating: "ü", count: 20)  // a heap string, not a small one
        buffer.writeWithCursor(reserving: 64 + name.utf8.count) { cursor in
            cursor.append("a ")
            cursor.append(name)
            cursor.append(UInt8(ascii: " "))
            cursor.append(ByteBuffer(string: "body"))
            cursor.append(UInt8(ascii: " "))
            cursor.appendDecimal(0)
            cursor.append(UInt8(ascii: " "))
            cursor.appendDecimal(Int.max)
            cursor.append(UInt8(ascii: " "))
            cursor.appendDecimal(-5)
        }
        #expect(String(buffer: buffer) == ">a \(name) body 0 \(Int.max) 0")
        #expect("\(Int.max)".utf8.count == ByteCursor.maxDecimalLength)
    }

    @Test func writesOnlyWhatWasAppended() {
        var buffer = ByteBuffer()
        buffer.writeWithCursor(reserving: 100) { cursor in
            cursor.append("short")
            #expect(cursor.count == 5)
        }
        #expect(buffer.readableBytes == 5)
    }

    @Test func appendingPastTheReservationTraps() async {
        await #expect(processExitsWith: .failure) {
            var buffer = ByteBuffer()
            buffer.writeWithCursor(reserving: 4) { cursor in
                cursor.append("12345")
            }
        }
        await #expect(processExitsWith: .failure) {
            var buffer = ByteBuffer()
            buffer.writeWithCursor(reserving: 2) { cursor in
                cursor.appendDecimal(100)
            }
        }
    }
}
