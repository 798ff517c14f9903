import GatehouseRouting
import GatehouseTransport
import HTTPTypes
import NIOCore
import Synchronization

/// `POST /echo`: answers with the request body.
struct Echo: Function {
    func respond(to request: Request, context: RequestContext) async throws -> Response {
        Response(status: .ok, headerFields: [.contentType: "application/octet-stream"], body: request.body)
    }
}

/// `GET /download?bytes=N`: answers with N bytes of a repeating pattern.
struct Download: Function {
    func respond(to request: Request, context: RequestContext) async throws -> Response {
        let count = request.query["bytes"].flatMap { Int($0) } ?? 0
        return Response(
            status: .ok,
            headerFields: [.contentType: "application/octet-stream"],
            body: ByteBuffer(bytes: downloadBytes(count))
        )
    }
}

/// The `count` bytes `/download` answers: 0, 1, …, 250, 0, 1, … (built a cycle at a time: debug builds are slow
/// per byte, and a test machine may be loaded).
func downloadBytes(_ count: Int) -> [UInt8] {
    let cycle = (0..<251).map { UInt8($0) }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(count + cycle.count)
    while bytes.count < count { bytes += cycle }
    return Array(bytes.prefix(count))
}

/// `GET /slow?ms=N&tag=T`: answers `done T` after N milliseconds.
struct Slow: Function {
    func respond(to request: Request, context: RequestContext) async throws -> Response {
        let query = request.query
        let milliseconds = query["ms"].flatMap { Int($0) } ?? 500
        SlowRequests.started.withLock { _ = $0.insert(query["tag"] ?? "") }
        try await Task.sleep(for: .milliseconds(milliseconds))
        return .text("done \(query["tag"] ?? "")")
    }
}

/// `GET /task-probe`: answers `no task` when it ran on the connection's fast path, outside any Swift task.
struct TaskProbe: ImmediateFunction {
    func respond(to request: Request, context: RequestContext) async throws -> Response {
        try self.respondImmediately(to: request, context: context)
    }

    func respondImmediately(to request: Request, context: RequestContext) throws -> Response {
        .text(withUnsafeCurrentTask { $0 == nil } ? "no task" : "task")
    }
}

/// `GET /task-probe-async`: the same check from an ordinary (asynchronous) function.
struct AsyncTaskProbe: Function {
    func respond(to request: Request, context: RequestContext) async throws -> Response {
        try TaskProbe().respondImmediately(to: request, context: context)
    }
}

/// `GET /connection`: answers `<connection id> <HTTP version> <ALPN or ->`.
struct ConnectionFacts: Function {
    func respond(to request: Request, context: RequestContext) async throws -> Response {
        let info = context.connection
        return .text("\(info.id) \(info.httpVersion) \(info.tls.alpn ?? "-")")
    }
}

/// `GET /concurrent?expect=N`: waits (up to 10 s) until N requests to it are in flight at once, then answers
/// with the highest number seen — proof that streams are handled concurrently.
struct ConcurrencyProbe: Function {
    private static let gauge = Mutex<(current: Int, peak: Int)>((0, 0))

    func respond(to request: Request, context: RequestContext) async throws -> Response {
        let expected = request.query["expect"].flatMap { Int($0) } ?? 1
        Self.gauge.withLock { state in
            state.current += 1
            state.peak = max(state.peak, state.current)
        }
        defer { Self.gauge.withLock { $0.current -= 1 } }
        for _ in 0..<1000 where Self.gauge.withLock({ $0.peak }) < expected {
            try await Task.sleep(for: .milliseconds(10))
        }
        return .text("peak=\(Self.gauge.withLock { $0.peak })\n")
    }
}

/// The tags of the requests `Slow` has started, so a test can wait until its request is in flight.
enum SlowRequests {
    static let started = Mutex<Set<String>>([])
}
