import Synchronization

/// A key into a ``ConnectionStore``; the type itself is the key.
public protocol ConnectionStoreKey {
    /// The type of value stored under this key.
    associatedtype Value: Sendable
}

/// Per-connection memory shared by every request and HTTP/2 stream of one connection.
///
/// Used for work that is done once per connection, such as a client-certificate decision.
/// Lives as long as the connection.
public final class ConnectionStore: Sendable {
    private let values = Mutex<[ObjectIdentifier: any Sendable]>([:])

    /// Creates an empty store.
    public init() {}

    /// The value stored under `key`, or `nil`.
    public subscript<Key: ConnectionStoreKey>(key: Key.Type) -> Key.Value? {
        get { self.values.withLock { $0[ObjectIdentifier(key)] } as? Key.Value }
        set { self.values.withLock { $0[ObjectIdentifier(key)] = newValue } }
    }
}
