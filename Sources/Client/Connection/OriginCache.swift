import Synchronization

/// The last origin a client resolved from a request's scheme and authority.
///
/// An upstream's client sends every request to one authority: parsing and checking it again for each request cost
/// more than the rest of leasing a connection.
final class OriginCache: Sendable {
    private struct Entry {
        let scheme: String
        let authority: String
        let origin: ClientConnection.Origin
    }

    private let last = Mutex<Entry?>(nil)

    /// The origin of `scheme` and `authority`: the remembered one when they are the last resolved, else what
    /// `resolve` returns (remembered when it does not throw).
    func origin(
        scheme: String?,
        authority: String?,
        resolve: () throws -> ClientConnection.Origin
    ) rethrows -> ClientConnection.Origin {
        guard let scheme, let authority else { return try resolve() }
        if let entry = self.last.withLock({ $0 }), entry.scheme == scheme, entry.authority == authority {
            return entry.origin
        }
        let origin = try resolve()
        self.last.withLock { $0 = Entry(scheme: scheme, authority: authority, origin: origin) }
        return origin
    }
}
