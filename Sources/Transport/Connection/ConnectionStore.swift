import Synchronization

/// A key into a ``ConnectionStore``; the type itself is the key.
public protocol ConnectionStoreKey {
    /// The type of value stored under this key.
    associatedtype Value: Sendable
}

/// Per-connection memory shared by every request and HTTP/2 stream of one connection.
///
/// Used for work that is done once per connection, such as a client-certificate decision. The values are the
/// connection actor's own isolated state: every request of a connection runs on the connection's event loop, so a
/// read or write is an isolation check (`assumeIsolated`), not a lock. Code running off that loop (an `@concurrent`
/// function, say) finds nothing stored, and what it stores is applied on the loop afterwards.
///
/// A store made with ``init()``, for a request context built without a server (a unit test of a middleware or a
/// function), keeps its values by itself.
public struct ConnectionStore: Sendable {
    private enum Owner: Sendable {
        case connection(Connection)
        case detached(DetachedStorage)
    }

    private let owner: Owner

    /// Creates a store of its own, for a request context that no connection serves.
    public init() {
        self.owner = .detached(DetachedStorage())
    }

    /// The store of `connection`: a handle on its isolated state.
    init(connection: Connection) {
        self.owner = .connection(connection)
    }

    /// The value stored under `key`, or `nil`.
    public subscript<Key: ConnectionStoreKey>(key: Key.Type) -> Key.Value? {
        // Inlinable so that a read, done on every request by an authenticator, is specialised for its key.
        @inlinable get {
            guard let box = self.box(for: ObjectIdentifier(key)) else { return nil }
            // The key's type fixes the value's type, and `set` boxes exactly that type: no dynamic cast needed.
            return unsafeDowncast(box, to: ConnectionStorage.Box<Key.Value>.self).value
        }
        @inlinable nonmutating set {
            self.setBox(newValue.map { ConnectionStorage.Box($0) }, for: ObjectIdentifier(key))
        }
    }

    @usableFromInline func box(for key: ObjectIdentifier) -> (any AnyObject & Sendable)? {
        switch self.owner {
        case .connection(let connection): connection.storedBox(for: key)
        case .detached(let storage): storage.storage.withLock { $0.box(for: key) }
        }
    }

    @usableFromInline func setBox(_ box: (any AnyObject & Sendable)?, for key: ObjectIdentifier) {
        switch self.owner {
        case .connection(let connection): connection.store(box, for: key)
        case .detached(let storage): storage.storage.withLock { $0.set(box, for: key) }
        }
    }
}

/// The values of a ``ConnectionStore``: a connection holds a handful of keys at most, so a short list searched by
/// key identity beats hashing. The first entry is stored inline: most connections store one value (their
/// client-certificate decision) and then need no array.
@usableFromInline struct ConnectionStorage {
    private struct Entry {
        let key: ObjectIdentifier
        var box: any AnyObject & Sendable
    }

    @usableFromInline final class Box<Value: Sendable>: Sendable {
        @usableFromInline let value: Value
        @usableFromInline init(_ value: Value) { self.value = value }
    }

    private var first: Entry?
    private var others: [Entry] = []

    func box(for key: ObjectIdentifier) -> (any AnyObject & Sendable)? {
        if let first = self.first, first.key == key { return first.box }
        return self.others.first { $0.key == key }?.box
    }

    mutating func set(_ box: (any AnyObject & Sendable)?, for key: ObjectIdentifier) {
        if self.first?.key == key {
            if let box {
                self.first = Entry(key: key, box: box)
            } else {
                self.first = self.others.isEmpty ? nil : self.others.removeFirst()
            }
        } else if let index = self.others.firstIndex(where: { $0.key == key }) {
            if let box { self.others[index].box = box } else { self.others.remove(at: index) }
        } else if let box {
            if self.first == nil {
                self.first = Entry(key: key, box: box)
            } else {
                self.others.append(Entry(key: key, box: box))
            }
        }
    }
}

/// The storage of a store that no connection owns; requests of such a context may run anywhere, hence the lock.
private final class DetachedStorage: Sendable {
    let storage = Mutex(ConnectionStorage())
}
