import COpenSSL
import Synchronization

/// Bounds the bytes a server context's session cache holds, on top of OpenSSL's bound in entries.
///
/// A cached session keeps the client's leaf (the verify callback leaves it nothing else), and a leaf can be as
/// large as the Certificate message allows, so 10,000 sessions alone are not a bound on memory. Installed with
/// `SSL_CTX_sess_set_new_cb` and `SSL_CTX_sess_set_remove_cb`, this keeps one reference to every cached session
/// with its cost (``cost(leafBytes:)``), and when the total
/// passes ``byteCapacity`` removes the oldest sessions from the cache. OpenSSL's own removals (timeout, the entry
/// bound, a full flush when the context is freed) come through the remove callback and release the reference.
// @unchecked: every mutable field is inside the Mutex; the SSL_CTX pointer is only passed to OpenSSL.
final class SessionCacheBudget: @unchecked Sendable {
    /// The default bound: about 8,000 sessions with 1 KiB leaves of their own (most clients' sessions share one
    /// parsed leaf, so OpenSSL's 10,000 entries usually come first), or 480 with 64 KiB ones.
    static let defaultByteCapacity = 64 * 1024 * 1024

    /// What a session holding a leaf of `leafBytes` DER bytes costs: OpenSSL's parsed certificate (about 5.7 KiB
    /// plus its DER twice, encoded and decoded) and the session itself (about 1 KiB).
    static func cost(leafBytes: Int) -> Int { leafBytes > 0 ? 2 * leafBytes + 7 * 1024 : 1024 }

    let byteCapacity: Int
    private let state = Mutex(State())

    private struct State {
        /// Cost and insertion number of each session we hold a reference to, by address.
        var costs: [UInt: (cost: Int, number: Int)] = [:]
        var nextNumber = 0
        /// Addresses in insertion order, oldest from `head` (entries already removed are skipped when met, and
        /// dropped when they are many).
        var order: [(address: UInt, number: Int)] = []
        var head = 0
        var bytes = 0
    }

    init(byteCapacity: Int = SessionCacheBudget.defaultByteCapacity) {
        self.byteCapacity = byteCapacity
    }

    /// Installs the callbacks on `context` (which must not outlive this object's use: the TLSContext owns both).
    func install(on context: OpaquePointer) {
        SSL_CTX_set_ex_data(context, 0, Unmanaged.passUnretained(self).toOpaque())
        SSL_CTX_sess_set_new_cb(context, sessionAdded)
        SSL_CTX_sess_set_remove_cb(context, sessionRemoved)
    }

    /// Sessions and bytes held now, for tests and diagnostics.
    var usage: (sessions: Int, bytes: Int) { self.state.withLock { ($0.costs.count, $0.bytes) } }

    fileprivate func added(_ session: OpaquePointer, context: OpaquePointer) {
        let leafBytes = SSL_SESSION_get0_peer(session).map { Int(i2d_X509($0, nil)) } ?? 0
        let cost = Self.cost(leafBytes: leafBytes)
        let key = UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(session)))
        let victims: [OpaquePointer]? = self.state.withLock { state in
            guard state.costs[key] == nil else { return nil }
            state.costs[key] = (cost, state.nextNumber)
            state.order.append((key, state.nextNumber))
            state.nextNumber += 1
            state.bytes += cost
            var victims: [OpaquePointer] = []
            while state.bytes > self.byteCapacity, state.head < state.order.count {
                let oldest = state.order[state.head]
                state.head += 1
                // An address OpenSSL freed may be reused by a newer session: only the same insertion counts.
                guard state.costs[oldest.address]?.number == oldest.number,
                    let removed = state.costs.removeValue(forKey: oldest.address)
                else { continue }
                state.bytes -= removed.cost
                victims.append(OpaquePointer(bitPattern: oldest.address)!)
            }
            // Sessions OpenSSL removed itself leave their address behind: drop those once they are half the list.
            if state.order.count - state.head > 2 * state.costs.count + 1024 {
                state.order = state.order[state.head...].filter { state.costs[$0.address]?.number == $0.number }
                state.head = 0
            } else if state.head > 1024 && state.head * 2 > state.order.count {
                state.order.removeFirst(state.head)
                state.head = 0
            }
            return victims
        }
        guard let victims else {
            SSL_SESSION_free(session)  // held already: drop the reference OpenSSL just gave
            return
        }
        // Outside the lock: removing calls `sessionRemoved`, which takes it (it finds these gone already).
        for victim in victims {
            SSL_CTX_remove_session(context, victim)
            SSL_SESSION_free(victim)
        }
    }

    fileprivate func removed(_ session: OpaquePointer) {
        let key = UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(session)))
        let held = self.state.withLock { state in
            guard let entry = state.costs.removeValue(forKey: key) else { return false }
            state.bytes -= entry.cost
            return true
        }
        if held { SSL_SESSION_free(session) }
    }
}

/// OpenSSL added `session` to the context's cache: keep a reference (return 1) and account for it.
private let sessionAdded: @convention(c) (OpaquePointer?, OpaquePointer?) -> Int32 = { ssl, session in
    guard let ssl, let session, let context = SSL_get_SSL_CTX(ssl), let budget = SSL_CTX_get_ex_data(context, 0)
    else { return 0 }
    Unmanaged<SessionCacheBudget>.fromOpaque(budget).takeUnretainedValue().added(session, context: context)
    return 1
}

/// OpenSSL removed `session` from the context's cache: release our reference.
private let sessionRemoved: @convention(c) (OpaquePointer?, OpaquePointer?) -> Void = { context, session in
    guard let context, let session, let budget = SSL_CTX_get_ex_data(context, 0) else { return }
    Unmanaged<SessionCacheBudget>.fromOpaque(budget).takeUnretainedValue().removed(session)
}
