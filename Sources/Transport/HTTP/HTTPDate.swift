import NIOPosix

#if canImport(Glibc)
    package import Glibc
#elseif canImport(Darwin)
    package import Darwin
#endif

/// The `Date` field value every response carries (RFC 9110 §6.6.1), in IMF-fixdate form
/// (`Sun, 06 Nov 1994 08:49:37 GMT`), formatted at most once a second per thread.
///
/// Not thread-safe by design, like ``ThreadBuffers``: one instance per thread, reached through ``current``.
package final class HTTPDate {
    // `@exclusivity(unchecked)`: one thread only, and `now()` calls out to nothing that could re-enter.
    /// The field value for the current second: 29 ASCII bytes.
    @exclusivity(unchecked) package private(set) var bytes: [UInt8] = []
    @exclusivity(unchecked) private var second: time_t = -1

    private nonisolated(unsafe) static let perThread = ThreadSpecificVariable<HTTPDate>()

    /// The calling thread's instance, created on first use.
    package static var current: HTTPDate {
        if let date = Self.perThread.currentValue { return date }
        let date = HTTPDate()
        Self.perThread.currentValue = date
        return date
    }

    /// The value for now; formats only when the second changed since the last call on this thread.
    package func now() -> [UInt8] {
        let now = time(nil)
        if now != self.second {
            self.second = now
            self.bytes = Self.format(now)
        }
        return self.bytes
    }

    /// Formats `seconds` since the epoch as an IMF-fixdate.
    package static func format(_ seconds: time_t) -> [UInt8] {
        var value = seconds
        var parts = tm()
        gmtime_r(&value, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        var out: [UInt8] = []
        out.reserveCapacity(29)
        func two(_ number: Int32) {
            out.append(UInt8(48 + number / 10))
            out.append(UInt8(48 + number % 10))
        }
        out.append(contentsOf: days[Int(parts.tm_wday)].utf8)
        out.append(contentsOf: ", ".utf8)
        two(parts.tm_mday)
        out.append(0x20)
        out.append(contentsOf: months[Int(parts.tm_mon)].utf8)
        out.append(0x20)
        let year = parts.tm_year + 1900
        two(year / 100)
        two(year % 100)
        out.append(0x20)
        two(parts.tm_hour)
        out.append(0x3A)
        two(parts.tm_min)
        out.append(0x3A)
        two(parts.tm_sec)
        out.append(contentsOf: " GMT".utf8)
        return out
    }
}
