import GatehouseTransport

/// The line parts of recent connections (``AccessLogLine/ConnectionParts``), so that a connection's address,
/// listener, TLS facts and client certificate are escaped and encoded once, not on every request.
///
/// A fixed number of slots, a connection's chosen by its id (ids are handed out in sequence, so the connections
/// open at once rarely share one); a connection whose slot another took encodes its parts again. Not thread-safe:
/// the access log uses it under its lock.
struct AccessLogConnectionCache {
    /// How many connections' parts are kept.
    static let slotCount = 256

    private struct Entry {
        let connection: ConnectionInfo
        let listener: String
        let format: AccessLogConfiguration.Format
        let parts: AccessLogLine.ConnectionParts
    }

    private var slots = [Entry?](repeating: nil, count: Self.slotCount)

    /// The parts of `record`'s line in `format`: kept ones when its connection's are, else encoded and kept.
    mutating func parts(
        for record: RequestRecord,
        format: AccessLogConfiguration.Format
    ) -> AccessLogLine.ConnectionParts {
        // A forwarded client certificate is the request's, not the connection's: encoded for this line only.
        if record.forwardedClientCertificate != nil { return AccessLogLine.connectionParts(record, format: format) }
        let slot = Int(truncatingIfNeeded: record.connection.id % UInt64(Self.slotCount))
        if let entry = self.slots[slot], entry.format == format, entry.connection.isSame(as: record.connection),
            entry.listener == record.listener
        {
            return entry.parts
        }
        let parts = AccessLogLine.connectionParts(record, format: format)
        self.slots[slot] = Entry(connection: record.connection, listener: record.listener, format: format, parts: parts)
        return parts
    }

    /// Forgets every connection (their facts are not kept alive longer than needed once the log closes).
    mutating func removeAll() {
        self.slots = [Entry?](repeating: nil, count: Self.slotCount)
    }
}
