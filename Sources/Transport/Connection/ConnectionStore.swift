public import Synchronization

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
    /// A connection holds a handful of keys at most, so a short list searched by key identity beats hashing.
    @usableFromInline let entries = Mutex<[Entry]>([])

    /// Creates an empty store.
    public init() {}

    /// The value stored under `key`, or `nil`.
    public subscript<Key: ConnectionStoreKey>(key: Key.Type) -> Key.Value? {
        // Inlinable so that a read, done on every request by an authenticator, is specialised for its key.
        @inlinable get {
            let id = ObjectIdentifier(key)
            guard let box = self.entries.withLock({ entries in entries.first { $0.key == id }?.box }) else {
                return nil
            }
            // The key's type fixes the value's type, and `set` boxes exactly that type: no dynamic cast needed.
            return unsafeDowncast(box, to: Box<Key.Value>.self).value
        }
        set {
            let id = ObjectIdentifier(key)
            let box = newValue.map { Box($0) }
            self.entries.withLock { entries in
                if let index = entries.firstIndex(where: { $0.key == id }) {
                    if let box { entries[index].box = box } else { entries.remove(at: index) }
                } else if let box {
                    entries.append(Entry(key: id, box: box))
                }
            }
        }
    }

    @usableFromInline struct Entry {
        @usableFromInline let key: ObjectIdentifier
        @usableFromInline var box: any AnyObject & Sendable
    }

    @usableFromInline final class Box<Value: Sendable>: Sendable {
        @usableFromInline let value: Value
        @usableFromInline init(_ value: Value) { self.value = value }
    }
}
