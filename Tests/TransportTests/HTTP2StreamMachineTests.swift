import HTTPTypes
import NIOCore
import Testing
@testable import Transport

@Suite("HTTP2StreamMachine")
struct HTTP2StreamMachineTests {
    private func machine(maxBodySize: Int = 1024) -> HTTP2StreamMachine {
        HTTP2StreamMachine(maxBodySize: maxBodySize)
    }

    /// Feeds `fields` as one header block, then ends it.
    private func receiveHead(
        _ machine: inout HTTP2StreamMachine,
        _ fields: [(String, String)],
        endStream: Bool,
        maxHeaderListSize: Int = 16 * 1024
    ) -> HTTP2StreamMachine.Action {
        var head = HTTP2RequestHeadBuilder(maxHeaderListSize: maxHeaderListSize)
        for (name, value) in fields {
            Array(name.utf8).withUnsafeBufferPointer { name in
                Array(value.utf8).withUnsafeBufferPointer { head.append(name: name, value: $0) }
            }
        }
        return machine.receivedHead(head, endStream: endStream, now: .now())
    }

    private let getFields = [(":method", "GET"), (":scheme", "https"), (":authority", "a"), (":path", "/x")]

    @Test func completeHeadWithEndStreamIsDispatched() throws {
        var machine = self.machine()
        let action = self.receiveHead(&machine, self.getFields + [("accept", "*/*")], endStream: true)
        guard case .dispatch(let request) = action else {
            Issue.record("expected dispatch")
            return
        }
        #expect(request.head.path == "/x")
        #expect(request.head.headerFields[.accept] == "*/*")
        #expect(machine.isAwaitingResponse)
        guard case .cancel = machine.closed() else {
            Issue.record("an unanswered stream must be cancelled")
            return
        }
    }

    @Test(arguments: [
        [(":method", "GET"), (":scheme", "https"), (":authority", "a")],
        [(":method", "GET"), (":path", "/"), (":authority", "a")],
        [(":scheme", "https"), (":path", "/")],
        [(":method", "GET"), (":scheme", "https"), (":path", "/"), (":path", "/again")],
        [(":method", "GET"), (":scheme", "https"), ("accept", "*/*"), (":path", "/")],
        [(":method", "GET"), (":scheme", "https"), (":path", "/"), (":protocol", "websocket")],
    ])
    func missingOrInvalidPseudoHeadersAreAProtocolError(fields: [(String, String)]) {
        var machine = self.machine()
        guard case .reset(let code) = self.receiveHead(&machine, fields, endStream: true) else {
            Issue.record("expected a reset")
            return
        }
        #expect(code == .protocolError)
    }

    @Test func responseForHeadRequestCarriesNoBody() {
        var machine = self.machine()
        _ = self.receiveHead(&machine, [(":method", "HEAD"), (":scheme", "https"), (":path", "/")], endStream: true)
        guard case .submit(_, let length, let hasBody) = machine.respond(.text("hello")) else {
            Issue.record("expected submit")
            return
        }
        #expect(length == 5)
        #expect(!hasBody)
        guard case .none = machine.respond(.text("twice")) else {
            Issue.record("a second response must be ignored")
            return
        }
    }

    @Test func bodyIsReadInSlicesUntilTheEnd() {
        var machine = self.machine()
        _ = self.receiveHead(&machine, self.getFields, endStream: true)
        _ = machine.respond(.text("abcdef"))
        let first = machine.readBody(maxLength: 4)
        #expect(first.bytes == ByteBuffer(string: "abcd") && !first.isEnd)
        let second = machine.readBody(maxLength: 4)
        #expect(second.bytes == ByteBuffer(string: "ef") && second.isEnd)
        guard case .none = machine.sentEndOfStream() else {
            Issue.record("the peer had ended: no reset")
            return
        }
    }

    @Test func oversizedBodyIsAnswered413ThenDiscardedThenReset() {
        var machine = self.machine(maxBodySize: 4)
        _ = self.receiveHead(&machine, [(":method", "POST"), (":scheme", "https"), (":path", "/")], endStream: false)
        let chunk: [UInt8] = [1, 2, 3]
        let first = chunk.withUnsafeBytes { machine.receivedData($0, now: .now()) }
        guard case .none = first else {
            Issue.record("within the limit")
            return
        }
        guard case .submit(let head, _, true) = chunk.withUnsafeBytes({ machine.receivedData($0, now: .now()) }) else {
            Issue.record("expected a 413")
            return
        }
        #expect(head.status.code == 413)
        #expect(!machine.isAwaitingResponse)
        _ = machine.readBody(maxLength: 1 << 20)
        guard case .none = machine.sentEndOfStream() else {
            Issue.record("the rest of the body is read and discarded first")
            return
        }
        let rest = [UInt8](repeating: 0, count: machine.discardAllowance)
        guard case .none = rest.withUnsafeBytes({ machine.receivedData($0, now: .now()) }) else {
            Issue.record("within the discard allowance")
            return
        }
        guard case .reset(let code) = chunk.withUnsafeBytes({ machine.receivedData($0, now: .now()) }) else {
            Issue.record("expected RST_STREAM(NO_ERROR) past the allowance")
            return
        }
        #expect(code == .noError)
    }

    @Test func oversizedHeaderListIsAnswered431() {
        var machine = self.machine()
        let fields = self.getFields + [("x-big", String(repeating: "x", count: 200))]
        let action = self.receiveHead(&machine, fields, endStream: true, maxHeaderListSize: 200)
        guard case .submit(let head, _, true) = action else {
            Issue.record("expected a 431")
            return
        }
        #expect(head.status.code == 431)
    }
}
