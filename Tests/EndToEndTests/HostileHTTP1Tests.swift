import Foundation
import TestSupport
import Testing

/// A real `gatehouse serve` process against clients that misbehave on purpose over HTTP/1.1, each test measuring
/// the server's RSS and descriptors (`/proc/PID`) before and after and asserting the bound.
@Suite("Hostile HTTP/1.1 clients", .serialized)
struct HostileHTTP1Tests {
    @Test func aBodyThatStopsHalfwayGets408WithinTheBodyTimeoutAndIsClosed() throws {
        let server = try ServerProcess(limits: "requestBodyTimeout: 1s")
        defer { _ = server.stop() }
        let baseline = try HostileHTTP1.settle(server)
        let client = try server.connect()
        client.send("POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n" + String(repeating: "x", count: 50))
        let started = Date()
        let (text, _) = client.receiveText(timeout: 15, containing: "\"status\":408")
        let elapsed = Date().timeIntervalSince(started)
        #expect(text.hasPrefix("HTTP/1.1 408 Request timeout\r\n"), "\(text)")
        #expect(text.contains("\r\nconnection: close\r\n"))
        // 1 s without a byte: not before it, and well within it plus a loaded machine's scheduling delays.
        #expect(elapsed > 0.9 && elapsed < 6, "408 after \(elapsed) s")
        #expect(client.waitForClose(timeout: 5))
        // The server closed its side: its descriptors are back to the baseline.
        #expect(try HostileHTTP1.waitUntil(seconds: 10) { try server.resources().openDescriptors <= baseline.openDescriptors })
    }

    @Test func slowBodiesHoldLittleMemoryEachAndAreAllAnswered408() throws {
        let server = try ServerProcess(limits: "requestBodyTimeout: 2s")
        defer { _ = server.stop() }
        let baseline = try HostileHTTP1.settle(server)
        let count = 100
        var clients: [RawTLSClient] = []
        for _ in 0..<count {
            let client = try server.connect()
            // Declares almost the whole 1 MiB limit, sends 4 KiB: nothing may be reserved from the declaration.
            client.send("POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000000\r\n\r\n")
            client.send(String(repeating: "x", count: 4096))
            clients.append(client)
        }
        // Keep every body alive (a byte each half second, under the 2 s body timeout) while measuring.
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
        #expect(try HostileHTTP1.waitUntil(seconds: 15) { try server.resources().openDescriptors <= baseline.openDescriptors })
    }
}

/// Helpers of the hostile HTTP/1.1 tests.
enum HostileHTTP1 {
    /// Polls `condition` every 50 ms for up to `seconds`; whether it held.
    static func waitUntil(seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        repeat {
            if try condition() { return true }
            usleep(50_000)
        } while Date() < deadline
        return try condition()
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
            _ = client.receiveText(timeout: 10, containing: "\"status\":405}")
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
