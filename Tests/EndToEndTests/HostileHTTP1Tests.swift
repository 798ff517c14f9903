import Foundation
import TestSupport
import Testing

/// A real `gatehouse serve` process against clients that misbehave on purpose over HTTP/1.1, each test measuring
/// the server's RSS and descriptors (`/proc/PID`) before and after and asserting the bound.
@Suite("Hostile HTTP/1.1 clients", .serialized)
struct HostileHTTP1Tests {
    @Test func aBodyThatStopsHalfwayGets408WithinTheBodyTimeoutAndIsClosed() async throws {
        try await HostileHTTP1.blocking {
            let server = try HostileHTTP1.server(limits: "requestBodyTimeout: 1s")
            defer { _ = server.stop() }
            let baseline = try HostileHTTP1.settle(server)
            let client = try server.connect()
            client.send("POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n")
            client.send(String(repeating: "x", count: 50))
            let started = Date()
            let (text, _) = client.receiveText(timeout: 15, containing: "\"status\":408")
            let elapsed = Date().timeIntervalSince(started)
            #expect(text.hasPrefix("HTTP/1.1 408 Request timeout\r\n"), "\(text)")
            #expect(text.contains("\r\nConnection: close\r\n"))
            #expect(HostileHTTP1.hasCurrentDate(text))
            // 1 s without a byte: not before it, and well within it plus a loaded machine's scheduling delays.
            #expect(elapsed > 0.9 && elapsed < 6, "408 after \(elapsed) s")
            #expect(client.waitForClose(timeout: 5))
            // The server closed its side: its descriptors are back to the baseline.
            #expect(try HostileHTTP1.descriptorsReturn(to: baseline, of: server))
        }
    }

    @Test func slowBodiesHoldLittleMemoryEachAndAreAllAnswered408() async throws {
        try await HostileHTTP1.blocking {
            let server = try HostileHTTP1.server(limits: "requestBodyTimeout: 3s")
            defer { _ = server.stop() }
            let baseline = try HostileHTTP1.settle(server)
            let count = 100
            var clients: [RawTLSClient] = []
            var lastDrip = Date()
            for _ in 0..<count {
                if Date().timeIntervalSince(lastDrip) > 0.5 {  // keep the first ones alive while the others connect
                    for client in clients { client.send("y") }
                    lastDrip = Date()
                }
                let client = try server.connect()
                // Declares almost the whole 1 MiB limit, sends 4 KiB: nothing may be reserved from the declaration.
                client.send("POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000000\r\n\r\n")
                client.send(String(repeating: "x", count: 4096))
                clients.append(client)
            }
            // Keep every body alive (a byte each half second, well under the 3 s body timeout) while measuring.
            var held = baseline
            for _ in 0..<4 {
                for client in clients { client.send("y") }
                usleep(500_000)
                held = try server.resources()
            }
            let perConnectionKiB = (held.residentKiB - baseline.residentKiB) / count
            print("slow bodies: baseline \(baseline), with \(count) slow bodies \(held): \(perConnectionKiB) KiB each")
            #expect(held.openDescriptors >= baseline.openDescriptors + count)
            // Each connection holds its TLS session (OpenSSL's SSL object and record buffers, about 20-30 KiB), the
            // channel and 4 KiB of body: 64 KiB each leaves room for allocator slack, not for a pinned read buffer.
            #expect(perConnectionKiB <= 64, "\(perConnectionKiB) KiB per slow-body connection")
            // Then they all stop: every one gets its 408 and is closed.
            for client in clients {
                let (text, _) = client.receiveText(timeout: 15, containing: "\"status\":408")
                #expect(text.hasPrefix("HTTP/1.1 408 "), "\(text.prefix(40))")
            }
            clients.removeAll()
            #expect(try HostileHTTP1.descriptorsReturn(to: baseline, of: server))
        }
    }

    @Test(arguments: [true, false])
    func a20MiBBodyGets413ThatTheClientReads(chunked: Bool) async throws {
        try await HostileHTTP1.blocking {
            let server = try HostileHTTP1.server()
            defer { _ = server.stop() }
            let baseline = try HostileHTTP1.settle(server)
            let client = try server.connect()
            let total = 20 * 1024 * 1024
            let framing = chunked ? "Transfer-Encoding: chunked" : "Content-Length: \(total)"
            client.send("POST / HTTP/1.1\r\nHost: localhost\r\n\(framing)\r\n\r\n")
            // Like curl: send the body in large writes, and stop as soon as a response arrives. A write blocks until the
            // server has read most of it, so a server that closes on unread bytes resets it.
            let piece = [UInt8](repeating: 0x61, count: 1024 * 1024)
            let chunk = Array("100000\r\n".utf8) + piece + Array("\r\n".utf8)
            var sent = 0
            var received: [UInt8] = []
            var sendFailed = false
            while sent < total && received.isEmpty {
                guard client.send(chunked ? chunk : piece) else {
                    sendFailed = true
                    break
                }
                sent += piece.count
                received = client.receiveWithoutBlocking(timeout: 0.002).bytes
            }
            let rest = client.receive(timeout: 10) {
                String(decoding: $0, as: UTF8.self).contains("\"type\":\"about:blank\"}")
            }
            let text = String(decoding: received + rest.bytes, as: UTF8.self)
            #expect(text.hasPrefix("HTTP/1.1 413 Content too large\r\n"), "after \(sent) bytes: \(text)")
            // The client learns of the refusal from the answer, not from a reset while it sends (curl gives up then).
            #expect(!sendFailed, "the connection was reset while sending, after \(sent) bytes")
            #expect(text.contains("\r\nConnection: close\r\n"))
            #expect(HostileHTTP1.hasCurrentDate(text))
            #expect(sent < total, "the whole body went out before the answer")
            let during = try server.resources()
            print("20 MiB \(framing) body: 413 after \(sent) bytes sent; \(baseline) -> \(during)")
            // The server keeps at most the 1 MiB body limit and then drops what follows: 4 MiB is the limit plus its
            // read and TLS buffers, with room for allocator slack; 20 MiB would show as 20 MiB.
            #expect(during.residentKiB - baseline.residentKiB < 4 * 1024, "\(baseline) -> \(during)")
            #expect(client.waitForClose(timeout: 10))
            #expect(try HostileHTTP1.descriptorsReturn(to: baseline, of: server))
        }
    }

    @Test func curlUploadingA20MiBChunkedBodyReadsThe413() async throws {
        // Starting and stopping the server block (polls and sleeps): off the cooperative pool.
        let server = try await HostileHTTP1.blocking { try HostileHTTP1.server() }
        let file = server.folder.path + "/20MiB"
        #expect(FileManager.default.createFile(atPath: file, contents: Data(count: 20 * 1024 * 1024)))
        let curl = Curl(caFile: server.folder.pki.rootCAFile)
        // curl sends `Expect: 100-continue`, gets the 100, then uploads until the 413 arrives. A server that closed
        // on the unread rest reset the upload: curl exit code 55 ("send failure") in two runs out of three.
        for _ in 0..<3 {
            let result = try await curl.run(
                "https://localhost:\(server.port)/",
                ["--http1.1", "-H", "Transfer-Encoding: chunked", "--data-binary", "@" + file]
            )
            #expect(result.exitCode == 0 && result.status == 413, "curl \(result.exitCode): \(result.stderr)")
        }
        _ = try await HostileHTTP1.blocking { server.stop() }
    }

    @Test func invalidHostsGet400AndValidOnesAreServed() async throws {
        try await HostileHTTP1.blocking {
            let server = try HostileHTTP1.server()
            defer { _ = server.stop() }
            let baseline = try HostileHTTP1.settle(server)
            let invalid = [
                "Host: a b\r\n", "Host: localhost:abc\r\n", "Host: user@localhost\r\n", "Host: \r\n", "Host: :8443\r\n",
                "Host: [::1\r\n", "Host: {}\r\n", "Host: localhost\r\nHost: localhost\r\n", "",
            ]
            for fields in invalid {
                let client = try server.connect()
                client.send("GET /healthz HTTP/1.1\r\n\(fields)\r\n")
                let (text, _) = client.receiveText(timeout: 10, containing: "}")
                #expect(text.hasPrefix("HTTP/1.1 400 Bad request\r\n"), "\(fields.debugDescription): \(text)")
                #expect(
                    text.contains("application/problem+json") && text.contains("Host is missing, repeated or invalid")
                )
                #expect(client.waitForClose(timeout: 10), "\(fields.debugDescription)")
            }
            let client = try server.connect()
            for host in ["localhost", "localhost:", "127.0.0.1:\(server.port)", "[::1]:\(server.port)"] {
                client.send("GET /healthz HTTP/1.1\r\nHost: \(host)\r\n\r\n")
                let (text, _) = client.receiveText(timeout: 10, containing: "\r\n\r\nok")
                #expect(text.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(host): \(text)")
            }
            client.send("GET /healthz HTTP/1.0\r\n\r\n")  // HTTP/1.0 needs none
            #expect(client.receiveText(timeout: 10, containing: "\r\n\r\nok").text.hasPrefix("HTTP/1.0 200 OK\r\n"))
            // Every refused connection was closed by the server (and the HTTP/1.0 one after its answer).
            #expect(try HostileHTTP1.descriptorsReturn(to: baseline, of: server))
        }
    }

    @Test func everyResponseHasADateHeader() async throws {
        try await HostileHTTP1.blocking {
            let server = try HostileHTTP1.server()
            defer { _ = server.stop() }
            let client = try server.connect()
            // The shared 200 OK heads (pre-encoded), a built 200, problem responses, and a refusal that closes.
            let requests = [
                ("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n", "HTTP/1.1 200 OK", "ok"),
                ("GET /api/hello?name=date HTTP/1.1\r\nHost: localhost\r\n\r\n", "HTTP/1.1 200 OK", "Hello, date."),
                ("GET /nowhere HTTP/1.1\r\nHost: localhost\r\n\r\n", "HTTP/1.1 404 ", "\"type\":\"about:blank\"}"),
                ("DELETE /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n", "HTTP/1.1 405 ", "\"type\":\"about:blank\"}"),
                ("HEAD /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n", "HTTP/1.1 200 OK", "\r\n\r\n"),
                ("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", "HTTP/1.1 400 ", "\"status\":400"),
            ]
            for (request, status, end) in requests {
                client.send(request)
                let (text, _) = client.receiveText(timeout: 10, containing: end)
                #expect(text.hasPrefix(status), "\(text)")
                #expect(HostileHTTP1.hasCurrentDate(text), "\(text)")
            }
            let stranger = try server.connect(withCertificate: false)
            stranger.send("GET /api/hello HTTP/1.1\r\nHost: localhost\r\n\r\n")
            let (refused, _) = stranger.receiveText(timeout: 10, containing: "\"type\":\"about:blank\"}")
            #expect(refused.hasPrefix("HTTP/1.1 403 Invalid client certificate\r\n"))
            #expect(HostileHTTP1.hasCurrentDate(refused))
        }
    }

    @Test func aClientThatPipelinesAndNeverReadsIsNotBufferedAndLaterGetsEveryAnswerInOrder() async throws {
        try await HostileHTTP1.blocking {
            let server = try HostileHTTP1.server(
                extraYAML: "  - { path: /api/whoami, function: whoami, policy: partners }"
            )
            defer { _ = server.stop() }
            let baseline = try HostileHTTP1.settle(server)
            let client = try server.connect()
            // 25,000 requests of 47 bytes, almost all `whoami` (about 600 bytes of answer each): 14 MiB of answers for
            // a client that does not read. In batches of 50 (one write each) whose last asks `hello?name=<batch>`, so
            // that the order of the answers shows.
            let batchCount = 500
            let whoami = String(repeating: "GET /api/whoami HTTP/1.1\r\nHost: localhost\r\n\r\n", count: 49)
            let batches = (0..<batchCount).map { batch in
                Array((whoami + "GET /api/hello?name=\(batch) HTTP/1.1\r\nHost: localhost\r\n\r\n").utf8)
            }
            var next = 0
            while next < batches.count, client.sendWithoutBlocking(batches[next], stall: 2) { next += 1 }
            let held = try HostileHTTP1.resourcesOnceIdle(server)
            // The server stopped reading: requests wait unread in its socket (in the kernel, not in the server).
            let unread = try HostileHTTP1.unreadBytes(serverPort: server.port, client: client)
            print(
                "pipelining without reading: \(next * 50) requests sent, \(unread) bytes unread; \(baseline) -> \(held)"
            )
            #expect(unread > 0, "the server read every request")
            // About 1 MiB of responses waits before the server stops reading (maxPendingOutputBytes), plus 64 KiB of
            // unparsed requests and the TLS and read buffers: 6 MiB leaves room for allocator slack. Without the bound
            // the server holds all it cannot write, 14 MiB less what the socket buffers take (+15 MiB measured for 17).
            #expect(held.residentKiB - baseline.residentKiB < 6 * 1024, "\(baseline) -> \(held)")

            // Now it reads: every answer arrives, in order, while the rest of the requests go out.
            var answers = PipelinedAnswers()
            let deadline = Date().addingTimeInterval(120)
            while answers.count < batchCount * 50 && Date() < deadline {
                if next < batches.count, client.sendWithoutBlocking(batches[next], stall: 0.01) { next += 1 }
                let received = client.receiveWithoutBlocking(timeout: 0.01)
                answers.append(received.bytes)
                if received.closed { break }
            }
            #expect(answers.count == batchCount * 50, "\(answers.count) answers")
            #expect(answers.hellos == Array(0..<batchCount), "the answers came out of order")
            withExtendedLifetime(client) {}
        }
    }
}

/// Helpers of the hostile HTTP/1.1 tests.
enum HostileHTTP1 {
    /// The thread the tests' blocking clients run on.
    private static let executor = DedicatedThreadExecutor(name: "HostileHTTP1Tests")

    /// A `gatehouse serve` process (``ServerProcess``) at a lower CPU priority (nice 10): these tests keep it busy
    /// for seconds, and the in-process servers of the suites that run beside them need the CPU more. Under
    /// contention it is still scheduled every few milliseconds, so its timers stay on time; it only gets less
    /// throughput.
    static func server(limits: String = "", extraYAML: String = "") throws -> ServerProcess {
        let server = try ServerProcess(limits: limits, extraYAML: extraYAML)
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(server.pid), 10)
        return server
    }

    /// Runs `body`, which blocks on sockets and sleeps, on a thread of its own rather than the cooperative pool.
    static func blocking<T>(_ body: () throws -> T) async throws -> T {
        try await withTaskExecutorPreference(Self.executor) { try body() }
    }

    /// Whether the head in `response` has exactly one `date` field, in IMF-fixdate form, within 5 s of now.
    static func hasCurrentDate(_ response: String) -> Bool {
        let head = response.components(separatedBy: "\r\n\r\n")[0]
        let dates = head.components(separatedBy: "\r\n").filter { $0.lowercased().hasPrefix("date: ") }
        guard dates.count == 1 else { return false }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        guard let date = formatter.date(from: String(dates[0].dropFirst(6))) else { return false }
        return abs(date.timeIntervalSinceNow) < 5
    }

    /// Whether the server's open descriptors fall back to `baseline`'s within 15 s: it closed what it opened.
    static func descriptorsReturn(to baseline: ProcessResources, of server: ServerProcess) throws -> Bool {
        try Self.waitUntil(seconds: 15) { try server.resources().openDescriptors <= baseline.openDescriptors }
    }

    /// Polls `condition` every 50 ms for up to `seconds`; whether it held.
    static func waitUntil(seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        repeat {
            if try condition() { return true }
            usleep(50_000)
        } while Date() < deadline
        return try condition()
    }

    /// Waits until the server has worked through what it accepted (its CPU time grows by at most 2 ticks in
    /// 500 ms, at most 60 s), then returns what it holds: the state that a bound must hold for.
    static func resourcesOnceIdle(_ server: ServerProcess) throws -> ProcessResources {
        var last = try cpuTicks(server.pid)
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            usleep(500_000)
            let now = try cpuTicks(server.pid)
            if now - last <= 2 { break }
            last = now
        }
        return try server.resources()
    }

    /// The bytes waiting unread in the receive queue of the server's end of `client`'s connection
    /// (`/proc/net/tcp`, `rx_queue`).
    static func unreadBytes(serverPort: Int, client: RawTLSClient) throws -> Int {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(client.socket, $0, &length) }
        }
        let clientPort = Int(UInt16(bigEndian: address.sin_port))
        // Read to the end: `String(contentsOfFile:)` stops after the first page of a /proc file.
        let file = try #require(FileHandle(forReadingAtPath: "/proc/net/tcp"))
        defer { try? file.close() }
        let table = String(decoding: file.readDataToEndOfFile(), as: UTF8.self)
        for line in table.split(separator: "\n").dropFirst() {
            // sl local_address rem_address st tx_queue:rx_queue …, addresses as HEXIP:HEXPORT
            let fields = line.split(separator: " ")
            guard fields.count > 4,
                Int(fields[1].split(separator: ":")[1], radix: 16) == serverPort,
                Int(fields[2].split(separator: ":")[1], radix: 16) == clientPort
            else { continue }
            return Int(fields[4].split(separator: ":")[1], radix: 16) ?? 0
        }
        Issue.record("no socket \(serverPort) <- \(clientPort) in /proc/net/tcp")
        return 0
    }

    /// User and system CPU time of `pid`, in clock ticks (`/proc/PID/stat` fields 14 and 15).
    static func cpuTicks(_ pid: Int32) throws -> Int {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        // The command name (field 2) may hold spaces; the fields after its closing parenthesis are plain.
        let fields = stat[stat.index(after: stat.lastIndex(of: ")")!)...].split(separator: " ")
        return (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0)
    }

    /// Warms the server up with a few ordinary requests (so that code, TLS state and allocator arenas of a first
    /// request are not counted later), then waits until its descriptors no longer change and returns what it holds.
    static func settle(_ server: ServerProcess) throws -> ProcessResources {
        for _ in 0..<3 {
            let client = try server.connect()
            client.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
            _ = client.receiveText(timeout: 10, containing: "ok")
            // `/` answers only GET and HEAD: a POST's body is read whole, then it gets 405.
            client.send("POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello")
            _ = client.receiveText(timeout: 10, containing: "\"type\":\"about:blank\"}")
        }
        var last = try server.resources()
        var stableSince = Date()
        while Date().timeIntervalSince(stableSince) < 0.3 {
            usleep(50_000)
            let now = try server.resources()
            if now.openDescriptors != last.openDescriptors { stableSince = Date() }
            last = now
        }
        return last
    }
}

extension RawTLSClient {
    /// ``receive(timeout:until:)`` on a non-blocking socket: a TLS record that is not application data (a session
    /// ticket) cannot leave `SSL_read` waiting past the timeout for data that is not coming.
    func receiveWithoutBlocking(
        timeout: Double,
        until isComplete: ([UInt8]) -> Bool = { _ in false }
    ) -> (bytes: [UInt8], closed: Bool) {
        let flags = fcntl(self.socket, F_GETFL)
        _ = fcntl(self.socket, F_SETFL, flags | O_NONBLOCK)
        defer { _ = fcntl(self.socket, F_SETFL, flags) }
        return self.receive(timeout: timeout, until: isComplete)
    }

    /// Writes all of `bytes` without blocking. Returns false when the socket stayed full for `stall` seconds (or
    /// failed): the write is then pending in OpenSSL and must be retried with the same array, which keeps its
    /// storage (OpenSSL checks that a retried write passes the same buffer).
    func sendWithoutBlocking(_ bytes: [UInt8], stall: Double) -> Bool {
        let flags = fcntl(self.socket, F_GETFL)
        _ = fcntl(self.socket, F_SETFL, flags | O_NONBLOCK)
        defer { _ = fcntl(self.socket, F_SETFL, flags) }
        while !self.send(bytes) {
            var poll = pollfd(fd: self.socket, events: Int16(POLLOUT), revents: 0)
            guard Glibc.poll(&poll, 1, Int32(stall * 1000)) > 0, poll.revents & Int16(POLLERR | POLLHUP) == 0 else {
                return false
            }
        }
        return true
    }
}

/// The answers of the pipelining test: how many, and the numbers of its `Hello, N.` answers in arrival order.
struct PipelinedAnswers {
    private(set) var count = 0
    private(set) var hellos: [Int] = []
    private var pending: [UInt8] = []
    private static let statusLine = Array("HTTP/1.1 200 OK\r\n".utf8)
    private static let hello = Array("Hello, ".utf8)

    /// Adds received bytes and reads the answers that are complete.
    mutating func append(_ bytes: [UInt8]) {
        self.pending += bytes
        var index = 0
        while let start = Self.find(Self.statusLine, in: self.pending, from: index),
            let end = Self.find(Array("\r\n\r\n".utf8), in: self.pending, from: start)
        {
            // The body follows the head: read its length, and wait until it is all there.
            let head = String(decoding: self.pending[start..<end], as: UTF8.self).lowercased()
            guard let lengthLine = head.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
                let length = Int(lengthLine.dropFirst(15).trimmingCharacters(in: .whitespaces)),
                end + 4 + length <= self.pending.count
            else { break }
            let body = self.pending[(end + 4)..<(end + 4 + length)]
            if body.starts(with: Self.hello),
                let number = Int(String(decoding: body.dropFirst(7).dropLast(), as: UTF8.self))
            {
                self.hellos.append(number)
            }
            self.count += 1
            index = end + 4 + length
        }
        self.pending.removeFirst(index)
    }

    /// Where `needle` starts in `haystack` at or after `from`: `memchr` finds each candidate first byte.
    private static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        haystack.withUnsafeBytes { bytes in
            var start = from
            while start + needle.count <= bytes.count {
                guard let found = memchr(bytes.baseAddress! + start, Int32(needle[0]), bytes.count - start) else {
                    return nil
                }
                start = bytes.baseAddress!.distance(to: UnsafeRawPointer(found))
                if start + needle.count <= bytes.count, needle.indices.allSatisfy({ bytes[start + $0] == needle[$0] }) {
                    return start
                }
                start += 1
            }
            return nil
        }
    }
}
