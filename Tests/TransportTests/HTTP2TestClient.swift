import CNghttp2
import NIOCore

/// A real nghttp2 client session for driving ``HTTP2ServerHandler`` in tests: submits requests,
/// serialises frames and collects responses and stream closes.
final class HTTP2TestClient {
    struct Response {
        var status: Int?
        var headers: [(name: String, value: String)] = []
        var body: [UInt8] = []
        var isComplete = false
        var closeErrorCode: UInt32?
        var isClosed = false

        func header(_ name: String) -> String? { self.headers.first { $0.name == name }?.value }
        var bodyText: String { String(decoding: self.body, as: UTF8.self) }
    }

    private(set) var responses: [Int32: Response] = [:]
    private var requestBodies: [Int32: ArraySlice<UInt8>] = [:]
    private var session: OpaquePointer?

    init() {
        var callbacks: OpaquePointer?
        nghttp2_session_callbacks_new(&callbacks)
        nghttp2_session_callbacks_set_on_header_callback(callbacks, Self.onHeader)
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, Self.onData)
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, Self.onFrame)
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, Self.onClose)
        var session: OpaquePointer?
        nghttp2_session_client_new(&session, callbacks, Unmanaged.passUnretained(self).toOpaque())
        nghttp2_session_callbacks_del(callbacks)
        self.session = session
        // Default settings: 64 KiB windows, so large downloads need our WINDOW_UPDATEs.
        nghttp2_submit_settings(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), nil, 0)
    }

    deinit {
        if let session = self.session { nghttp2_session_del(session) }
    }

    /// Submits a request; returns its stream id.
    @discardableResult
    func request(
        method: String = "GET",
        path: String = "/",
        headers: [(String, String)] = [],
        body: [UInt8]? = nil
    ) -> Int32 {
        let fields =
            [(":method", method), (":scheme", "https"), (":authority", "localhost"), (":path", path)]
            + headers
        let stream = Self.withNameValues(fields) { nva in
            guard let body else {
                return nghttp2_submit_request(self.session, nil, nva.baseAddress, nva.count, nil, nil)
            }
            var provider = nghttp2_data_provider(source: nghttp2_data_source(ptr: nil), read_callback: Self.readBody)
            let stream = nghttp2_submit_request(self.session, nil, nva.baseAddress, nva.count, &provider, nil)
            self.requestBodies[stream] = body[...]
            return stream
        }
        precondition(stream > 0, "nghttp2_submit_request failed: \(stream)")
        self.responses[stream] = Response()
        return stream
    }

    /// Submits RST_STREAM for `stream`.
    func reset(_ stream: Int32, code: UInt32 = NGHTTP2_CANCEL.rawValue) {
        nghttp2_submit_rst_stream(self.session, UInt8(NGHTTP2_FLAG_NONE.rawValue), stream, code)
    }

    /// Everything the session wants to send now (the preface and SETTINGS first).
    func outbound() -> ByteBuffer {
        var buffer = ByteBuffer()
        while true {
            var data: UnsafePointer<UInt8>?
            let count = nghttp2_session_mem_send(self.session, &data)
            guard count > 0, let data else { break }
            buffer.writeBytes(UnsafeRawBufferPointer(start: data, count: count))
        }
        return buffer
    }

    /// Feeds bytes from the server; returns nghttp2's result (negative on a fatal error).
    @discardableResult
    func receive(_ buffer: ByteBuffer) -> Int {
        buffer.withUnsafeReadableBytes { bytes in
            guard let base = bytes.baseAddress else { return 0 }
            return nghttp2_session_mem_recv(self.session, base.assumingMemoryBound(to: UInt8.self), bytes.count)
        }
    }

    private static func withNameValues<T>(
        _ fields: [(String, String)],
        _ body: (UnsafeMutableBufferPointer<nghttp2_nv>) -> T
    ) -> T {
        let strings = fields.map { (Array($0.0.utf8), Array($0.1.utf8)) }
        let pointers = strings.map { name, value -> (UnsafeMutablePointer<UInt8>, UnsafeMutablePointer<UInt8>) in
            let namePointer = UnsafeMutablePointer<UInt8>.allocate(capacity: max(name.count, 1))
            namePointer.initialize(from: name, count: name.count)
            let valuePointer = UnsafeMutablePointer<UInt8>.allocate(capacity: max(value.count, 1))
            valuePointer.initialize(from: value, count: value.count)
            return (namePointer, valuePointer)
        }
        defer {
            for (name, value) in pointers {
                name.deallocate()
                value.deallocate()
            }
        }
        var nva = zip(strings, pointers).map { strings, pointers in
            nghttp2_nv(
                name: pointers.0,
                value: pointers.1,
                namelen: strings.0.count,
                valuelen: strings.1.count,
                flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue)
            )
        }
        return nva.withUnsafeMutableBufferPointer { body($0) }
    }

    private static func client(_ userData: UnsafeMutableRawPointer?) -> HTTP2TestClient {
        Unmanaged<HTTP2TestClient>.fromOpaque(userData!).takeUnretainedValue()
    }

    private static let onHeader: nghttp2_on_header_callback = {
        _,
        frame,
        name,
        nameLength,
        value,
        valueLength,
        _,
        user in
        let client = HTTP2TestClient.client(user)
        let stream = frame!.pointee.hd.stream_id
        let name = String(decoding: UnsafeBufferPointer(start: name, count: nameLength), as: UTF8.self)
        let value = String(decoding: UnsafeBufferPointer(start: value, count: valueLength), as: UTF8.self)
        if name == ":status" {
            client.responses[stream, default: Response()].status = Int(value)
        } else {
            client.responses[stream, default: Response()].headers.append((name, value))
        }
        return 0
    }

    private static let onData: nghttp2_on_data_chunk_recv_callback = { _, _, stream, data, length, user in
        HTTP2TestClient.client(user).responses[stream, default: Response()].body
            .append(contentsOf: UnsafeBufferPointer(start: data, count: length))
        return 0
    }

    private static let onFrame: nghttp2_on_frame_recv_callback = { _, frame, user in
        let client = HTTP2TestClient.client(user)
        let header = frame!.pointee.hd
        if header.flags & UInt8(NGHTTP2_FLAG_END_STREAM.rawValue) != 0,
            header.type == UInt8(NGHTTP2_HEADERS.rawValue) || header.type == UInt8(NGHTTP2_DATA.rawValue)
        {
            client.responses[header.stream_id, default: Response()].isComplete = true
        }
        return 0
    }

    private static let onClose: nghttp2_on_stream_close_callback = { _, stream, errorCode, user in
        let client = HTTP2TestClient.client(user)
        client.responses[stream, default: Response()].isClosed = true
        client.responses[stream, default: Response()].closeErrorCode = errorCode
        return 0
    }

    private static let readBody: nghttp2_data_source_read_callback = { _, stream, buffer, length, flags, _, user in
        let client = HTTP2TestClient.client(user)
        let remaining = client.requestBodies[stream] ?? []
        let count = min(length, remaining.count)
        if count > 0 {
            remaining.prefix(count).withUnsafeBytes {
                UnsafeMutableRawPointer(buffer!).copyMemory(from: $0.baseAddress!, byteCount: count)
            }
        }
        client.requestBodies[stream] = remaining.dropFirst(count)
        if count == remaining.count { flags!.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue }
        return count
    }
}
