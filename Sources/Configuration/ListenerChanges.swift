import GatehouseTransport

/// How a new configuration's listeners relate to the running ones: which new listener each running one takes
/// its TLS material and routes from, and which changes cannot be applied without a restart.
///
/// A running listener pairs with the new listener of its name; failing that, with the one at its position when
/// the number of listeners is unchanged (and that one is not another running listener's by name), else with an
/// unpaired one at the same address (host and port). A running listener without a counterpart keeps what it has;
/// a new listener without one is not bound until a restart.
struct ListenerChanges {
    /// A listener change that is not applied until gatehouse restarts.
    struct Pending: Sendable, Hashable, CustomStringConvertible {
        /// The listener, as `listeners[0]` (with its name, if it has one) of the configuration that names it.
        let listener: String
        /// What changed: `host`, `port`, `limits.<key>`, or `added` / `removed`.
        let keys: [String]

        var description: String { "\(self.listener): \(self.keys.joined(separator: ", "))" }
    }

    /// For each running listener, the index of its counterpart in the new configuration, or `nil`.
    let counterparts: [Int?]
    /// Every change that needs a restart, in listener order; empty when everything applies.
    let pending: [Pending]

    /// Pairs `new` with `running` (the listeners the server was started with).
    init(running: [ListenerConfiguration], new: [ListenerConfiguration]) {
        let counterparts = Self.pair(running: running, new: new)
        var pending: [Pending] = []
        for (index, counterpart) in counterparts.enumerated() {
            let listener = Self.label(running[index], at: index)
            guard let counterpart else {
                pending.append(Pending(listener: listener, keys: ["removed"]))
                continue
            }
            let keys = Self.restartKeys(from: running[index], to: new[counterpart])
            if !keys.isEmpty { pending.append(Pending(listener: listener, keys: keys)) }
        }
        for index in new.indices where !counterparts.contains(index) {
            pending.append(Pending(listener: Self.label(new[index], at: index), keys: ["added"]))
        }
        self.counterparts = counterparts
        self.pending = pending
    }

    /// For each running listener, the index of its counterpart in `new` (see the type's description).
    static func pair(running: [ListenerConfiguration], new: [ListenerConfiguration]) -> [Int?] {
        var counterparts: [Int?] = running.map { listener in
            listener.name.flatMap { name in new.firstIndex { $0.name == name } }
        }
        var paired = Set(counterparts.compactMap { $0 })
        let runningNames = Set(running.compactMap(\.name))
        for (index, listener) in running.enumerated() where counterparts[index] == nil {
            let atPosition =
                running.count == new.count && !paired.contains(index)
                && !(new[index].name.map(runningNames.contains) ?? false)
            let counterpart =
                atPosition
                ? index
                : new.indices.first { candidate in
                    !paired.contains(candidate) && new[candidate].host == listener.host
                        && new[candidate].port == listener.port
                }
            counterparts[index] = counterpart
            if let counterpart { paired.insert(counterpart) }
        }
        return counterparts
    }

    /// `listeners[1]`, or `listeners[1] (admin)` for a named listener.
    static func label(_ listener: ListenerConfiguration, at index: Int) -> String {
        "listeners[\(index)]" + (listener.name.map { " (\($0))" } ?? "")
    }

    /// The keys whose change needs a restart: the address (the socket is bound) and the limits (every
    /// connection's handlers are built with them) — except `maxClientCertificateChainSize`, which belongs to the
    /// TLS context that a reload replaces.
    static func restartKeys(from old: ListenerConfiguration, to new: ListenerConfiguration) -> [String] {
        var keys: [String] = []
        if old.host != new.host { keys.append("host") }
        if old.port != new.port { keys.append("port") }
        var oldLimits = old.limits
        oldLimits.maxClientCertificateChainSize = new.limits.maxClientCertificateChainSize
        if oldLimits != new.limits {
            // A limit missing from `changedKeys`' list still shows, as `limits`.
            let limits = oldLimits.changedKeys(comparedTo: new.limits)
            keys += limits.isEmpty ? ["limits"] : limits.map { "limits." + $0 }
        }
        return keys
    }
}

extension ConnectionLimits {
    /// The limits whose values differ from `other`'s, named as the configuration file's `limits:` names them.
    func changedKeys(comparedTo other: ConnectionLimits) -> [String] {
        let fields: [(name: String, value: PartialKeyPath<ConnectionLimits>)] = [
            ("maxHeaderListSize", \.maxHeaderListSize), ("maxBodySize", \.maxBodySize),
            ("handshakeTimeout", \.handshakeTimeout), ("requestHeadTimeout", \.requestHeadTimeout),
            ("requestBodyTimeout", \.requestBodyTimeout), ("idleTimeout", \.idleTimeout),
            ("maxConcurrentStreams", \.maxConcurrentStreams), ("initialWindowSize", \.initialWindowSize),
            ("maxBufferedBodyBytesPerConnection", \.maxBufferedBodyBytesPerConnection),
            ("maxPendingOutputBytes", \.maxPendingOutputBytes), ("streamResetBurst", \.streamResetBurst),
            ("streamResetRate", \.streamResetRate), ("maxConnections", \.maxConnections),
            ("maxUnreadStreamedBodyBytes", \.maxUnreadStreamedBodyBytes),
            ("maxQueuedResponseBytesPerStream", \.maxQueuedResponseBytesPerStream),
        ]
        return fields.filter { self[keyPath: $0.value] as? AnyHashable != other[keyPath: $0.value] as? AnyHashable }
            .map(\.name)
    }
}
