import HTTPTypes
import NIOCore

/// The open request streams of one HTTP/2 connection, by stream id, and the request head being received.
///
/// A header block (HEADERS plus CONTINUATION frames) is never interleaved with frames of another stream
/// (RFC 9113 §6.10), so the table holds one head builder for the stream whose block is in progress: each
/// header field goes straight to it, without a lookup by stream id.
///
/// It also keeps the connection's request-body account: the bytes that streams hold for requests not yet
/// complete (``heldBodyBytes``), and the bytes they let go of since the handler last returned them to the
/// connection's flow-control window (``takeReleasedBodyBytes()``).
struct HTTP2StreamTable {
    private var streams: [Int32: HTTP2StreamMachine] = [:]
    private var incomingHeadStream: Int32 = 0
    private var incomingHead: HTTP2RequestHeadBuilder?
    /// When the header block in progress began; `nil` when none is.
    private(set) var incomingHeadStartedAt: NIODeadline?
    /// Request-body bytes held by streams whose request is not complete yet.
    private(set) var heldBodyBytes = 0
    private var releasedBodyBytes = 0

    /// True when no stream is open.
    var isEmpty: Bool { self.streams.isEmpty }

    /// Starts tracking a new stream, whose request header block begins now and is collected into `head`.
    mutating func open(
        _ id: Int32,
        _ machine: consuming HTTP2StreamMachine,
        head: consuming HTTP2RequestHeadBuilder,
        now: NIODeadline
    ) {
        self.streams[id] = machine
        self.incomingHeadStream = id
        self.incomingHead = head
        self.incomingHeadStartedAt = now
    }

    /// Adds a header field to `id`'s request head; ignored unless that head is in progress (trailers, refused
    /// streams).
    mutating func appendHeader(name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>, to id: Int32) {
        guard self.incomingHeadStream == id else { return }
        self.incomingHead?.append(name: name, value: value)
    }

    /// A header block of `id` ended: the request head when it was in progress, trailers otherwise.
    mutating func receivedEndOfHeaders(
        _ id: Int32,
        endStream: Bool,
        now: NIODeadline,
        bodyMode: (HTTPRequest) -> RequestBodyMode
    ) -> HTTP2StreamMachine.Action? {
        if self.incomingHeadStream == id, let head = self.incomingHead.take() {
            self.incomingHeadStartedAt = nil
            return self.update(id) { $0.receivedHead(head, endStream: endStream, now: now, bodyMode: bodyMode) }
        }
        return self.update(id) { $0.receivedTrailers(endStream: endStream) }
    }

    /// `bytes` of `id`'s request body arrived; bytes that no stream keeps are released at once.
    mutating func receivedData(_ bytes: UnsafeRawBufferPointer, on id: Int32, now: NIODeadline) -> HTTP2StreamMachine
        .Action?
    {
        guard let action = self.update(id, incoming: bytes.count, { $0.receivedData(bytes, now: now) }) else {
            self.releasedBodyBytes += bytes.count
            return nil
        }
        return action
    }

    /// Runs `transition` on the stream's machine in place; `nil` when the stream is unknown (closed, or refused).
    /// `incoming` body bytes arrive with the transition; what the machine holds less afterwards is released.
    ///
    /// Always inlined, so that `transition` is too: as a real closure it would copy the values it captures (a
    /// request head, a response) for every event.
    @inline(__always)
    mutating func update<Result>(
        _ id: Int32,
        incoming: Int = 0,
        _ transition: (inout HTTP2StreamMachine) -> Result
    ) -> Result? {
        guard let index = self.streams.index(forKey: id) else { return nil }
        // One in-place access: reading the machine through the subscript's getter would copy it (and retain
        // everything it holds) twice per event.
        let (result, before, after) = Self.transition(&self.streams.values[index], transition)
        self.account(held: after - before, released: before + incoming - after)
        return result
    }

    /// Runs `transition` on `machine`; returns its result and the body bytes the machine held before and after.
    @inline(__always)
    private static func transition<Result>(
        _ machine: inout HTTP2StreamMachine,
        _ transition: (inout HTTP2StreamMachine) -> Result
    ) -> (Result, before: Int, after: Int) {
        let before = machine.bufferedBodyBytes
        let result = transition(&machine)
        return (result, before, machine.bufferedBodyBytes)
    }

    /// Stops tracking a stream and returns its machine; the body it held is released.
    mutating func remove(_ id: Int32) -> HTTP2StreamMachine? {
        if self.incomingHeadStream == id {
            self.incomingHead = nil
            self.incomingHeadStartedAt = nil
        }
        guard let machine = self.streams.removeValue(forKey: id) else { return nil }
        self.account(held: -machine.bufferedBodyBytes, released: machine.bufferedBodyBytes)
        return machine
    }

    /// Forgets every stream; returns, in ascending order, those whose response the dispatcher still owed.
    mutating func removeAll() -> [Int32] {
        let owed = self.streams.filter { $0.value.isAwaitingResponse }.keys.sorted()
        self.streams.removeAll()
        self.incomingHead = nil
        self.incomingHeadStartedAt = nil
        self.heldBodyBytes = 0
        self.releasedBodyBytes = 0
        return owed
    }

    /// The body bytes let go of since the last call: the handler returns them to the flow-control window.
    mutating func takeReleasedBodyBytes() -> Int {
        defer { self.releasedBodyBytes = 0 }
        return self.releasedBodyBytes
    }

    private mutating func account(held: Int, released: Int) {
        self.heldBodyBytes += held
        self.releasedBodyBytes += released
    }
}

extension HTTP2StreamTable {
    /// True while the dispatcher owes a response on some stream: the server, not the peer, is busy.
    var isAwaitingResponse: Bool { self.streams.values.contains { $0.isAwaitingResponse } }

    /// Answers 408 on every stream whose body received nothing for `timeout`; returns the actions by stream.
    mutating func expireStalledBodies(now: NIODeadline, timeout: TimeAmount) -> [(Int32, HTTP2StreamMachine.Action)] {
        let stalled = self.streams.filter { $0.value.isBodyStalled(now: now, timeout: timeout) }.keys.sorted()
        return stalled.compactMap { id in self.update(id) { $0.bodyTimedOut() }.map { (id, $0) } }
    }

    /// The earliest time at which a body that is arriving stalls, if any is.
    func nextBodyDeadline(timeout: TimeAmount) -> NIODeadline? {
        self.streams.values.compactMap { $0.bodyDeadline(timeout: timeout) }.min()
    }

    /// Refuses the newest stream that holds body bytes, when more than one does; returns its id and action.
    mutating func refuseNewestHoldingBody() -> (Int32, HTTP2StreamMachine.Action)? {
        let holding = self.streams.filter { $0.value.bufferedBodyBytes > 0 }.keys
        guard holding.count > 1, let newest = holding.max() else { return nil }
        return self.update(newest) { $0.refuse() }.map { (newest, $0) }
    }
}
