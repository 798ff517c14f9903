import Foundation
import TestSupport
import Testing

/// Hostile HTTP/2 clients against a real `gatehouse serve` (one event loop), over real TLS with hand-written
/// frames. Each test measures the server's RSS and descriptors (`/proc/PID`) before and after and asserts bounds.
@Suite("Hostile HTTP/2 clients", .serialized)
struct HostileHTTP2Tests {
    typealias Frames = HTTP2RawFrames

    /// A raw HTTP/2 connection: the preface and an empty SETTINGS go out at once; frames are read as they come.
    final class RawConnection {
        let client: RawTLSClient
        private var pending: [UInt8] = []
        /// Every frame read so far.
        private(set) var frames: [Frames.Frame] = []

        init(_ server: ServerProcess, withCertificate: Bool = false) throws {
            self.client = try server.connect(withCertificate: withCertificate, alpn: ["h2"])
            #expect(self.client.negotiatedALPN == "h2")
            self.send(Frames.preface + Frames.settings())
        }

        func send(_ bytes: [UInt8]) { self.client.send(bytes) }

        /// Reads until `condition` holds for the frames read so far, for at most `timeout` seconds; true if it holds.
        @discardableResult
        func read(timeout: Double, until condition: @escaping ([Frames.Frame]) -> Bool) -> (holds: Bool, closed: Bool) {
            let known = self.frames
            let result = self.client.receiveFrames(timeout: timeout, pending: &self.pending) { condition(known + $0) }
            self.frames += result.frames
            return (condition(self.frames), result.closed)
        }

        /// The response body bytes received on `stream`.
        func body(_ stream: UInt32) -> String {
            String(
                decoding: self.frames.filter { $0.type == 0 && $0.stream == stream }.flatMap(\.payload),
                as: UTF8.self
            )
        }

        var goaway: Frames.Frame? { self.frames.first { $0.type == Frames.FrameType.goaway.rawValue } }
    }

    /// Polls until the server holds at most `descriptors` open descriptors (closing is asynchronous).
    private static func waitForDescriptors(_ server: ServerProcess, atMost descriptors: Int) throws -> ProcessResources
    {
        let deadline = Date().addingTimeInterval(10)
        var now = try server.resources()
        while now.openDescriptors > descriptors && Date() < deadline {
            usleep(50_000)
            now = try server.resources()
        }
        return now
    }

    /// The server's resources once one ordinary request has come and gone (so the measurements do not count the
    /// first use of the HTTP/2 path) and the descriptor count has settled (connections close asynchronously).
    private static func baseline(_ server: ServerProcess) throws -> ProcessResources {
        do {
            let connection = try RawConnection(server)
            connection.send(Frames.headers(stream: 1, Frames.requestFields(), endStream: true))
            connection.read(timeout: 10) { $0.contains { $0.type == 0 && $0.stream == 1 && $0.flags & 1 != 0 } }
            #expect(connection.body(1) == "ok")
        }
        var last = try server.resources()
        var steady = 0
        let deadline = Date().addingTimeInterval(10)
        while steady < 3 && Date() < deadline {
            usleep(150_000)
            let now = try server.resources()
            steady = now.openDescriptors == last.openDescriptors ? steady + 1 : 0
            last = now
        }
        return last
    }

    @Test func incompleteHeaderBlocksGetGoawayWithinRequestHeadTimeout() throws {
        let server = try ServerProcess(limits: "requestHeadTimeout: 1s, idleTimeout: 60s")
        defer { _ = server.stop() }
        let before = try Self.baseline(server)
        // 20 connections, each with a HEADERS frame whose header block never ends (no END_HEADERS, no CONTINUATION).
        let connections = try (0..<20).map { _ in try RawConnection(server) }
        let start = Date()
        for connection in connections {
            connection.send(Frames.headers(stream: 1, Frames.requestFields(method: "POST"), fragmentLength: 10))
        }
        let during = try server.resources()
        #expect(during.openDescriptors >= before.openDescriptors + 20, "\(during) vs \(before)")
        for connection in connections {
            let (sawGoaway, _) = connection.read(timeout: 15) {
                $0.contains { $0.type == Frames.FrameType.goaway.rawValue }
            }
            #expect(sawGoaway)
            #expect(
                String(decoding: connection.goaway?.payload.dropFirst(8) ?? [], as: UTF8.self) == "request head timeout"
            )
            #expect(connection.client.waitForClose(timeout: 10))
        }
        let elapsed = Date().timeIntervalSince(start)
        // 1 s deadline; the margin is for a loaded 2-core machine.
        #expect(elapsed >= 0.9 && elapsed < 10, "GOAWAY after \(elapsed) s")
        let after = try Self.waitForDescriptors(server, atMost: before.openDescriptors)
        print("incomplete header blocks: before \(before), during \(during), after \(after), GOAWAY after \(elapsed) s")
        #expect(after.openDescriptors <= before.openDescriptors, "\(after) vs \(before)")
        // Twenty small connections and their TLS state: a few MiB at most, and none of it kept per connection.
        #expect(after.residentKiB - before.residentKiB < 8 * 1024, "\(after) vs \(before)")
    }

    @Test func stalledBodyGets408OnItsStreamWhileAnotherCompletes() throws {
        let server = try ServerProcess(limits: "requestBodyTimeout: 1s, idleTimeout: 60s")
        defer { _ = server.stop() }
        let before = try Self.baseline(server)
        let connection = try RawConnection(server)
        connection.send(
            Frames.headers(stream: 1, Frames.requestFields(method: "POST")) + Frames.data(stream: 1, count: 100)
        )
        connection.send(Frames.headers(stream: 3, Frames.requestFields(), endStream: true))
        let start = Date()
        let (answered, _) = connection.read(timeout: 10) { frames in
            frames.contains { $0.type == Frames.FrameType.rstStream.rawValue && $0.stream == 1 }
        }
        let elapsed = Date().timeIntervalSince(start)
        #expect(answered, "\(connection.frames)")
        #expect(connection.body(3) == "ok")
        #expect(connection.body(1).contains("Request body timeout"), "\(connection.body(1))")
        let reset = connection.frames.first { $0.type == Frames.FrameType.rstStream.rawValue && $0.stream == 1 }
        #expect(reset?.integer(at: 0) == 0)  // NO_ERROR: the 408 is the answer
        #expect(elapsed >= 0.5 && elapsed < 10, "408 after \(elapsed) s")
        // The connection goes on: another stream is answered.
        connection.send(Frames.headers(stream: 5, Frames.requestFields(), endStream: true))
        connection.read(timeout: 10) { $0.contains { $0.type == 0 && $0.stream == 5 && $0.flags & 1 != 0 } }
        #expect(connection.body(5) == "ok")
        #expect(connection.goaway == nil)
        let during = try server.resources()
        #expect(during.openDescriptors == before.openDescriptors + 1, "\(during) vs \(before)")
        #expect(during.residentKiB - before.residentKiB < 4 * 1024, "\(during) vs \(before)")
        print("stalled body: before \(before), with the connection open \(during), 408 after \(elapsed) s")
    }

    /// 100 streams each send `maxBodySize - 1` bytes (1 MiB - 1), respecting flow control, and stop. Without a
    /// budget that pins about 100 MiB; with it the server reopens the connection window only for bodies it lets
    /// go of, and refuses the newest streams (REFUSED_STREAM) when the client is out of window.
    @Test func hundredStalledUploadsPinOnlyTheBodyBudget() throws {
        let server = try ServerProcess(limits: "requestBodyTimeout: 120s, idleTimeout: 120s")
        defer { _ = server.stop() }
        let before = try Self.baseline(server)
        var connection = try RawConnection(server)
        let bodySize = 1024 * 1024 - 1
        let streams = (0..<100).map { UInt32(2 * $0 + 1) }
        for stream in streams { connection.send(Frames.headers(stream: stream, Frames.requestFields(method: "POST"))) }
        // The server's SETTINGS and window increase: stream windows 1 MiB (initialWindowSize), connection 65,535 +
        // the increase.
        connection.read(timeout: 10) {
            $0.contains { $0.type == Frames.FrameType.windowUpdate.rawValue && $0.stream == 0 }
        }
        var connectionWindow = 65_535
        // The server's window increase arrived above; fold it in with whatever else came.
        var seen = 0
        var remaining = Dictionary(uniqueKeysWithValues: streams.map { ($0, bodySize) })
        var sent = 0
        func takeFrames() {
            for frame in connection.frames[seen...] {
                if frame.type == Frames.FrameType.windowUpdate.rawValue && frame.stream == 0 {
                    connectionWindow += Int(frame.integer(at: 0))
                } else if frame.type == Frames.FrameType.rstStream.rawValue {
                    remaining[frame.stream] = nil
                }
            }
            seen = connection.frames.count
        }
        takeFrames()
        var stuckSince: Date?
        while !remaining.isEmpty {
            var progressed = false
            // Round-robin, 16 KiB frames, within the connection window (each stream's 1 MiB window covers its body).
            for stream in streams where connectionWindow > 0 {
                guard let left = remaining[stream], left > 0 else { continue }
                let count = min(16_384, left, connectionWindow)
                connection.send(Frames.data(stream: stream, count: count))
                remaining[stream] = left - count == 0 ? nil : left - count
                connectionWindow -= count
                sent += count
                progressed = true
            }
            connection.read(timeout: progressed ? 0.01 : 0.5) { _ in false }
            takeFrames()
            if progressed || connectionWindow > 0 {
                stuckSince = nil
            } else if let since = stuckSince, Date().timeIntervalSince(since) > 2 {
                break  // out of window for 2 s: the server holds what it will hold
            } else if stuckSince == nil {
                stuckSince = Date()
            }
        }
        let refused = connection.frames.filter { $0.type == Frames.FrameType.rstStream.rawValue }
        #expect(refused.allSatisfy { $0.integer(at: 0) == 0x7 })  // REFUSED_STREAM
        #expect(connection.goaway == nil)
        let during = try server.resources()
        let growthKiB = during.residentKiB - before.residentKiB
        print(
            "100 stalled uploads: sent \(sent) bytes, \(refused.count) streams refused; before \(before), "
                + "during \(during): +\(growthKiB) KiB"
        )
        #expect(sent > 4 * 1024 * 1024)  // the client did try to push past the budget
        // Bound: the connection window is 4 MiB (maxBufferedBodyBytesPerConnection) + 64 KiB, so at most that
        // many body bytes are held; growing ByteBuffers may hold up to twice their bytes in capacity, and the
        // allocator keeps some freed memory: 16 MiB, against about 100 MiB without the budget.
        #expect(growthKiB < 16 * 1024, "\(during) vs \(before)")
        #expect(during.openDescriptors == before.openDescriptors + 1, "\(during) vs \(before)")
        connection = try RawConnection(server)  // the hostile one closes: its descriptor and bodies go
        let after = try Self.waitForDescriptors(server, atMost: before.openDescriptors + 1)
        #expect(after.openDescriptors == before.openDescriptors + 1, "\(after) vs \(before)")
    }

    @Test func streamsWithoutProgressAreClosedAfterIdleTimeout() throws {
        let server = try ServerProcess(limits: "idleTimeout: 2s, requestBodyTimeout: 120s")
        defer { _ = server.stop() }
        let before = try Self.baseline(server)
        let connection = try RawConnection(server)
        // Two streams whose bodies start and stop; a third whose header block is complete but has no body yet.
        connection.send(
            Frames.headers(stream: 1, Frames.requestFields(method: "POST")) + Frames.data(stream: 1, count: 10)
        )
        connection.send(
            Frames.headers(stream: 3, Frames.requestFields(method: "PUT")) + Frames.data(stream: 3, count: 10)
        )
        connection.send(Frames.headers(stream: 5, Frames.requestFields(method: "POST")))
        let start = Date()
        // The connection is this server's (tells a server that does not close from a connection gone elsewhere).
        let during = try Self.waitForDescriptors(server, atMost: Int.max)
        #expect(during.openDescriptors == before.openDescriptors + 1, "\(during) vs \(before)")
        let (sawGoaway, _) = connection.read(timeout: 20) {
            $0.contains { $0.type == Frames.FrameType.goaway.rawValue }
        }
        let elapsed = Date().timeIntervalSince(start)
        #expect(sawGoaway)
        #expect(String(decoding: connection.goaway?.payload.dropFirst(8) ?? [], as: UTF8.self) == "idle timeout")
        #expect(connection.client.waitForClose(timeout: 10))
        #expect(elapsed >= 1.5 && elapsed < 15, "closed after \(elapsed) s")
        let after = try Self.waitForDescriptors(server, atMost: before.openDescriptors)
        print("streams without progress: before \(before), during \(during), after \(after), GOAWAY after \(elapsed) s")
        #expect(after.openDescriptors <= before.openDescriptors, "\(after) vs \(before)")
        #expect(after.residentKiB - before.residentKiB < 4 * 1024, "\(after) vs \(before)")
    }

    /// With RFC 7540 priorities on, nghttp2 keeps closed streams and creates idle ones for PRIORITY frames; both
    /// are capped by nghttp2 (closed streams at SETTINGS_MAX_CONCURRENT_STREAMS, idle ones at 100 per connection).
    /// 50,000 PRIORITY frames on distinct idle streams and 500 requests on one connection must not add up.
    @Test func priorityFloodAndClosedStreamsStayBounded() throws {
        let server = try ServerProcess(limits: "idleTimeout: 60s")
        defer { _ = server.stop() }
        let before = try Self.baseline(server)
        let connection = try RawConnection(server)
        let requests = 500
        for index in 0..<requests {
            let stream = UInt32(2 * index + 1)
            // PRIORITY on 100 idle streams far above, each depending on the previous (a growing tree).
            var flood: [UInt8] = []
            for offset in 0..<100 {
                let idle = UInt32(1_000_001 + 2 * (index * 100 + offset))
                flood += Frames.priority(stream: idle, dependsOn: idle - 2)
            }
            connection.send(flood + Frames.headers(stream: stream, Frames.requestFields(), endStream: true))
            if index % 50 == 49 {
                connection.read(timeout: 10) {
                    $0.contains { $0.type == 0 && $0.stream == stream && $0.flags & 1 != 0 }
                }
            }
        }
        let last = UInt32(2 * requests - 1)
        connection.read(timeout: 10) { $0.contains { $0.type == 0 && $0.stream == last && $0.flags & 1 != 0 } }
        #expect(connection.goaway == nil)
        let answered = connection.frames.filter { $0.type == 0 && $0.flags & 1 != 0 }.count
        #expect(answered == requests)
        let during = try server.resources()
        print("PRIORITY flood and \(requests) requests: before \(before), during \(during)")
        // nghttp2 keeps at most 100 closed and 100 idle streams (a few hundred bytes each); 4 MiB leaves room for
        // the allocator, against 50,000 idle-stream nodes (over 10 MiB) if nothing capped them.
        #expect(during.residentKiB - before.residentKiB < 4 * 1024, "\(during) vs \(before)")
    }

    /// nghttp2 keeps no closed streams here (the handler keeps only their identifiers): a connection that served many
    /// requests holds no more than one that served a single request. With nghttp2 keeping them, each of these
    /// connections would hold SETTINGS_MAX_CONCURRENT_STREAMS (100) closed streams of about 240 bytes: 1.5 MiB together.
    @Test func busyConnectionsKeepNoStatePerRequest() throws {
        let server = try ServerProcess(limits: "idleTimeout: 60s")
        defer { _ = server.stop() }
        _ = try Self.baseline(server)
        let connections = try (0..<64).map { _ in try RawConnection(server) }
        func requestOnEach(stream: UInt32) {
            for connection in connections {
                connection.send(Frames.headers(stream: stream, Frames.requestFields(), endStream: true))
            }
            for connection in connections {
                connection.read(timeout: 10) {
                    $0.contains { $0.type == 0 && $0.stream == stream && $0.flags & 1 != 0 }
                }
            }
        }
        for round in 0..<3 { requestOnEach(stream: UInt32(2 * round + 1)) }
        let fresh = try server.resources()
        for round in 3..<120 { requestOnEach(stream: UInt32(2 * round + 1)) }
        let busy = try server.resources()
        let answered = connections.map { connection in
            connection.frames.filter { $0.type == 0 && $0.flags & 1 != 0 }.count
        }
        #expect(answered.allSatisfy { $0 == 120 }, "\(answered)")
        print("64 connections, after 3 requests each: \(fresh); after 120: \(busy)")
        #expect(busy.residentKiB - fresh.residentKiB < 512, "\(busy) vs \(fresh)")
    }
}
