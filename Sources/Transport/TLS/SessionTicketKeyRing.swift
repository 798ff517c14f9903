import GatehouseCertificates
import Synchronization

/// The keys a server context seals and opens session tickets with: the newest encrypts, the others only decrypt.
///
/// Two sources. Keys from a file (`sessionTicketKeyFile`, nginx's format) are fixed until a reload reads the file
/// again: the first encrypts, the rest decrypt, so an operator rotates by writing a new key in front of the current
/// one, and replicas that share the file resume each other's sessions. Otherwise keys are random and rotate: a key
/// encrypts for one `rotation` period from its creation and then only decrypts for one more, so a ticket sealed
/// just before a rotation still opens. A rotating ring belongs to one context: a reload (a new context) ends the
/// resumption of its sessions, as a restart does. The ticket itself says under which trust material its client was
/// verified, and the context checks that.
final class SessionTicketKeyRing: Sendable {
    private enum Source {
        case fixed([SessionTicketKey])
        case rotating(period: Int)
    }

    private let source: Source
    /// Rotating keys with their creation time (seconds since 1970), newest first: at most two.
    private let rotated = Mutex<[(key: SessionTicketKey, created: Int)]>([])

    /// A ring of fixed keys (not empty): the first encrypts.
    init(keys: [SessionTicketKey]) {
        precondition(!keys.isEmpty, "a key file gives at least one key")
        self.source = .fixed(keys)
    }

    /// A ring of random keys, a new one every `period` seconds (at least 1).
    init(rotatingEvery period: Int) {
        self.source = .rotating(period: max(1, period))
    }

    /// The key that seals a ticket issued at `now` (seconds since 1970); a rotating ring makes a new one when its
    /// newest is a period old. `nil` only when no random key can be made.
    func encryptionKey(at now: Int) -> SessionTicketKey? {
        switch self.source {
        case .fixed(let keys):
            return keys.first
        case .rotating(let period):
            return self.rotated.withLock { keys in
                if let newest = keys.first, now - newest.created < period, now >= newest.created { return newest.key }
                guard let key = SessionTicketKey.random() else { return nil }
                keys = [(key, now)] + keys.prefix(1).filter { now - $0.created < 2 * period }
                return key
            }
        }
    }

    /// The key named `name` that opens a ticket at `now`, and whether it is the one that seals new tickets (a
    /// ticket opened with another is renewed); `nil` when no key of the ring has that name any more.
    func decryptionKey(named name: UnsafeBufferPointer<UInt8>, at now: Int) -> (key: SessionTicketKey, isNewest: Bool)?
    {
        switch self.source {
        case .fixed(let keys):
            guard let index = keys.firstIndex(where: { $0.name.elementsEqual(name) }) else { return nil }
            return (keys[index], index == 0)
        case .rotating(let period):
            return self.rotated.withLock { keys in
                guard let index = keys.firstIndex(where: { $0.key.name.elementsEqual(name) }),
                    now - keys[index].created < 2 * period
                else { return nil }
                return (keys[index].key, index == 0 && now - keys[index].created < period)
            }
        }
    }
}

extension SessionTicketKeyRing {
    /// The most keys a key file may hold.
    static let maxKeysInFile = 16

    /// A ring of the keys in `path` (nginx's format: 80-byte keys, or 48-byte legacy ones, one after another).
    /// - Throws: ``TLSError/Code/invalidConfiguration`` about `sessionTicketKeyFile`, naming the file and what is
    ///   wrong with it (never its bytes).
    convenience init(file path: String) throws {
        let bytes: [UInt8]
        do {
            bytes = try readFileBytes(path)
        } catch {
            throw TLSError(.invalidConfiguration, "\(path): cannot read the file").about("sessionTicketKeyFile")
        }
        guard let keys = SessionTicketKey.keys(inFile: bytes), keys.count <= Self.maxKeysInFile else {
            throw TLSError(
                .invalidConfiguration,
                "\(path): \(bytes.count) bytes; expected 1 to \(Self.maxKeysInFile) keys of 80 bytes "
                    + "(or of 48 bytes, the legacy format), one after another: openssl rand 80 > \(path)"
            ).about("sessionTicketKeyFile")
        }
        self.init(keys: keys)
    }
}
