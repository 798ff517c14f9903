import Logging
import NIOCore
import NIOPosix
import Testing

@testable import GatehouseTransport

/// Answers every request with an empty 200.
private struct Empty: ImmediateResponder {
    func respond(to request: Request, context: RequestContext) async throws -> Response { .text("") }
    func respondImmediately(to request: Request, context: RequestContext) throws -> Response? { .text("") }
}

private enum Counter: ConnectionStoreKey {
    typealias Value = Int
}

private enum Label: ConnectionStoreKey {
    typealias Value = String
}

private enum Flag: ConnectionStoreKey {
    typealias Value = Bool
}

@Suite("A connection's store is its actor's isolated state")
struct ConnectionStoreTests {
    private func connection(on loop: any EventLoop, id: UInt64) -> Connection {
        let tls = TLSSessionInfo(
            protocolVersion: "TLSv1.3",
            cipher: "TLS_AES_128_GCM_SHA256",
            alpn: "h2",
            peerCertificates: [],
            verifyResult: nil,
            isResumed: false
        )
        let info = ConnectionInfo(id: id, remoteAddress: nil, localAddress: nil, httpVersion: .http2, tls: tls)
        let logger = Logger(label: "connection-store-tests") { _ in SwiftLogNoOpLogHandler() }
        return Connection(info: info, eventLoop: loop, responder: Empty(), logger: logger)
    }

    @Test func valuesLiveInTheConnectionAndAreReadOnItsLoop() async throws {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let first = self.connection(on: loop, id: 1)
        let second = self.connection(on: loop, id: 2)
        let seen = try await loop.submit { () -> [Int?] in
            let store = ConnectionStore(connection: first)
            store[Counter.self] = 1
            store[Label.self] = "one"
            store[Counter.self] = 2
            // A new handle on the same connection sees the same values; another connection sees none.
            return [
                ConnectionStore(connection: first)[Counter.self],
                ConnectionStore(connection: first)[Label.self]?.count,
                ConnectionStore(connection: second)[Counter.self],
            ]
        }.get()
        #expect(seen == [2, 3, nil])
        let removed = try await loop.submit { () -> Int? in
            let store = ConnectionStore(connection: first)
            store[Counter.self] = nil
            return store[Counter.self]
        }.get()
        #expect(removed == nil)
    }

    @Test func closingTheConnectionLetsGoOfItsValues() async throws {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let connection = self.connection(on: loop, id: 1)
        let left = try await loop.submit { () -> Int? in
            let store = ConnectionStore(connection: connection)
            store[Counter.self] = 5
            connection.assumeIsolated { $0.closed() }
            return store[Counter.self]
        }.get()
        #expect(left == nil)
    }

    @Test func offTheLoopNothingIsReadAndWritesLandOnTheLoop() async throws {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let connection = self.connection(on: loop, id: 1)
        try await loop.submit { ConnectionStore(connection: connection)[Counter.self] = 7 }.get()
        let offLoop = ConnectionStore(connection: connection)
        #expect(offLoop[Counter.self] == nil)
        offLoop[Counter.self] = 8
        let onLoop = try await loop.submit { ConnectionStore(connection: connection)[Counter.self] }.get()
        #expect(onLoop == 8)
    }

    @Test func removingAnyOfSeveralValuesKeepsTheOthers() {
        // The first value set is kept apart from the later ones (ConnectionStorage): removing it must keep them.
        let store = ConnectionStore()
        store[Counter.self] = 1
        store[Label.self] = "two"
        store[Flag.self] = true
        store[Counter.self] = nil
        #expect(store[Counter.self] == nil)
        #expect(store[Label.self] == "two")
        #expect(store[Flag.self] == true)
        store[Counter.self] = 4
        store[Label.self] = nil
        store[Flag.self] = false
        #expect(store[Counter.self] == 4)
        #expect(store[Label.self] == nil)
        #expect(store[Flag.self] == false)
        store[Flag.self] = nil
        store[Counter.self] = nil
        #expect(store[Counter.self] == nil && store[Flag.self] == nil && store[Label.self] == nil)
        store[Label.self] = "again"
        #expect(store[Label.self] == "again")
    }

    @Test func aStoreWithoutAConnectionKeepsItsOwnValues() {
        let store = ConnectionStore()
        #expect(store[Counter.self] == nil)
        store[Counter.self] = 3
        #expect(store[Counter.self] == 3)
        #expect(ConnectionStore()[Counter.self] == nil)
    }
}
