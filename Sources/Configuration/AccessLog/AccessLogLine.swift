import Foundation
import GatehouseTransport
import HTTPTypes

/// Writes one access-log line for a request record, as JSON or as `key=value` text, straight into a byte buffer.
///
/// Hand-written rather than `JSONEncoder`: a line costs a few hundred instructions instead of tens of thousands
/// (Benchmarks/README.md). Strings from the client (path, certificate subject) are escaped, so every line is valid
/// JSON (or one text line) whatever bytes they hold.
enum AccessLogLine {
    /// The parts of a line that are the same for every request of a connection (its address, listener, protocol,
    /// TLS facts and client certificate), encoded once per connection (``AccessLogConnectionCache``).
    struct ConnectionParts {
        /// From the end of `time` to the start of `method`'s value.
        let leading: [UInt8]
        /// From the end of `duration_ms`'s value to the start of `policy`'s value.
        let middle: [UInt8]
    }

    /// Appends `record`'s line, ending in `\n`, to `out`, with `parts` made for its connection and `format`.
    static func append(
        _ record: RequestRecord,
        format: AccessLogConfiguration.Format,
        parts: ConnectionParts,
        time: timespec,
        clock: inout AccessLogClock,
        to out: inout [UInt8]
    ) {
        switch format {
        case .json: Self.appendJSON(record, parts: parts, time: time, clock: &clock, to: &out)
        case .text: Self.appendText(record, parts: parts, time: time, clock: &clock, to: &out)
        }
    }

    /// The parts of `record`'s line that its connection's other requests share (the client certificate is a
    /// forwarded one's when a trusted proxy forwarded one: then the parts are this request's alone).
    static func connectionParts(_ record: RequestRecord, format: AccessLogConfiguration.Format) -> ConnectionParts {
        let connection = record.connection
        let tls = connection.tls
        var leading: [UInt8] = []
        var middle: [UInt8] = []
        switch format {
        case .json:
            appendStatic(#"","remote":"#, to: &leading)
            appendJSONString(record.remote, to: &leading)
            appendStatic(#","listener":"#, to: &leading)
            appendJSONString(record.listener, to: &leading)
            appendStatic(#","protocol":""#, to: &leading)
            leading.append(contentsOf: record.protocolName.utf8)
            appendStatic(#"","method":"#, to: &leading)
            appendStatic(#","tls_version":"#, to: &middle)
            appendJSONString(tls.protocolVersion, to: &middle)
            appendStatic(#","tls_resumed":"#, to: &middle)
            appendStatic(tls.isResumed ? "true" : "false", to: &middle)
            appendStatic(#","client_subject":"#, to: &middle)
            appendJSONString(record.clientSubject, to: &middle)
            appendStatic(#","client_sha256":"#, to: &middle)
            appendJSONString(record.clientSHA256, to: &middle)
            appendStatic(#","policy":"#, to: &middle)
        case .text:
            appendStatic(" remote=", to: &leading)
            leading.append(contentsOf: record.remote.utf8)
            appendStatic(" listener=", to: &leading)
            appendQuotedText(record.listener, to: &leading)
            appendStatic(" protocol=", to: &leading)
            leading.append(contentsOf: record.protocolName.utf8)
            appendStatic(" method=", to: &leading)
            appendStatic(" tls_version=", to: &middle)
            middle.append(contentsOf: tls.protocolVersion.utf8)
            appendStatic(" tls_resumed=", to: &middle)
            appendStatic(tls.isResumed ? "true" : "false", to: &middle)
            appendStatic(" client_subject=", to: &middle)
            appendQuotedText(record.clientSubject, to: &middle)
            appendStatic(" client_sha256=", to: &middle)
            middle.append(contentsOf: (record.clientSHA256 ?? "-").utf8)
            appendStatic(" policy=", to: &middle)
        }
        return ConnectionParts(leading: leading, middle: middle)
    }

    private static func appendJSON(
        _ record: RequestRecord,
        parts: ConnectionParts,
        time: timespec,
        clock: inout AccessLogClock,
        to out: inout [UInt8]
    ) {
        appendStatic(#"{"time":""#, to: &out)
        clock.append(time, to: &out)
        out.append(contentsOf: parts.leading)
        appendJSONString(record.method?.rawValue, to: &out)
        appendStatic(#","path":"#, to: &out)
        appendJSONString(record.path, to: &out)
        appendStatic(#","status":"#, to: &out)
        appendInteger(record.status, to: &out)
        appendStatic(#","bytes":"#, to: &out)
        appendInteger(record.bodyBytes, to: &out)
        appendStatic(#","duration_ms":"#, to: &out)
        appendMilliseconds(record.duration, to: &out)
        out.append(contentsOf: parts.middle)
        appendJSONString(record.policy, to: &out)
        appendStatic(#","decision":""#, to: &out)
        out.append(contentsOf: record.decision.rawValue.utf8)
        appendStatic(#"","reason":"#, to: &out)
        appendJSONString(record.reason, to: &out)
        appendStatic("}\n", to: &out)
    }

    private static func appendText(
        _ record: RequestRecord,
        parts: ConnectionParts,
        time: timespec,
        clock: inout AccessLogClock,
        to out: inout [UInt8]
    ) {
        clock.append(time, to: &out)
        out.append(contentsOf: parts.leading)
        appendQuotedText(record.method?.rawValue, to: &out)
        appendStatic(" path=", to: &out)
        appendQuotedText(record.path, to: &out)
        appendStatic(" status=", to: &out)
        appendInteger(record.status, to: &out)
        appendStatic(" bytes=", to: &out)
        appendInteger(record.bodyBytes, to: &out)
        appendStatic(" duration_ms=", to: &out)
        appendMilliseconds(record.duration, to: &out)
        out.append(contentsOf: parts.middle)
        appendQuotedText(record.policy, to: &out)
        appendStatic(" decision=", to: &out)
        out.append(contentsOf: record.decision.rawValue.utf8)
        appendStatic(" reason=", to: &out)
        appendQuotedText(record.reason, to: &out)
        out.append(UInt8(ascii: "\n"))
    }

    /// `duration` in milliseconds with three decimals (microsecond resolution): `0.412`.
    static func appendMilliseconds(_ duration: Duration, to out: inout [UInt8]) {
        let (seconds, attoseconds) = duration.components
        let microseconds = max(0, Int(seconds) * 1_000_000 + Int(attoseconds / 1_000_000_000_000))
        appendInteger(microseconds / 1000, to: &out)
        out.append(UInt8(ascii: "."))
        appendDigits(microseconds % 1000, count: 3, to: &out)
    }

    /// `value` in decimal, its digits written straight into `out` (no `String` made).
    static func appendInteger(_ value: Int, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var divisor: UInt = 1
        while magnitude / divisor >= 10 { divisor *= 10 }
        while divisor > 0 {
            out.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: magnitude / divisor))
            magnitude %= divisor
            divisor /= 10
        }
    }

    /// Appends a literal's bytes in one copy (a `String` literal's `utf8` would be appended byte by byte).
    static func appendStatic(_ text: StaticString, to out: inout [UInt8]) {
        text.withUTF8Buffer { out.append(contentsOf: $0) }
    }

    static func appendDigits(_ value: Int, count: Int, to out: inout [UInt8]) {
        var divisor = 1
        for _ in 1..<count { divisor *= 10 }
        var value = value
        while divisor > 0 {
            out.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: (value / divisor) % 10))
            value %= divisor
            divisor /= 10
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// `text` as a JSON string (`null` when `nil`): `"` and `\` escaped, control characters as `\u00XX`. Swift
    /// strings hold valid UTF-8, so the rest is copied as it is, in runs between the bytes that need escaping.
    static func appendJSONString(_ text: (some StringProtocol)?, to out: inout [UInt8]) {
        guard let text else {
            out.append(contentsOf: "null".utf8)
            return
        }
        out.append(UInt8(ascii: "\""))
        Self.appendEscaped(text, to: &out) { byte, out in
            switch byte {
            case 0x0A: out.append(contentsOf: #"\n"#.utf8)
            case 0x0D: out.append(contentsOf: #"\r"#.utf8)
            case 0x09: out.append(contentsOf: #"\t"#.utf8)
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), byte]
            default:
                out += [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")] + Self.hex(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// `text` in double quotes for the text format (`-` when `nil`): `"` and `\` escaped, control characters as
    /// `\xHH`, so a hostile path or subject can neither end the field nor start a new line.
    static func appendQuotedText(_ text: (some StringProtocol)?, to out: inout [UInt8]) {
        guard let text else {
            out.append(UInt8(ascii: "-"))
            return
        }
        out.append(UInt8(ascii: "\""))
        Self.appendEscaped(text, to: &out) { byte, out in
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), byte]
            default: out += [UInt8(ascii: "\\"), UInt8(ascii: "x")] + Self.hex(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Copies `text`'s UTF-8 into `out`, the runs without `"`, `\` or control characters in one copy each, and each
    /// of those bytes through `escape`.
    private static func appendEscaped(
        _ text: some StringProtocol,
        to out: inout [UInt8],
        escape: (UInt8, inout [UInt8]) -> Void
    ) {
        let copied: Void? = text.utf8.withContiguousStorageIfAvailable { bytes in
            Self.appendEscaped(bytes, to: &out, escape: escape)
        }
        guard copied == nil else { return }
        var native = String(text)  // a bridged or foreign string: made contiguous first
        native.withUTF8 { bytes in Self.appendEscaped(bytes, to: &out, escape: escape) }
    }

    private static func appendEscaped(
        _ bytes: UnsafeBufferPointer<UInt8>,
        to out: inout [UInt8],
        escape: (UInt8, inout [UInt8]) -> Void
    ) {
        var start = 0
        for index in bytes.indices {
            let byte = bytes[index]
            guard byte < 0x20 || byte == 0x7F || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else {
                continue
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
            escape(byte, &out)
            start = index + 1
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
    }

    private static func hex(_ byte: UInt8) -> [UInt8] {
        [Self.hexDigits[Int(byte >> 4)], Self.hexDigits[Int(byte & 0x0F)]]
    }
}

/// Writes access-log times: the date and time to the second are formatted once per second, then copied.
struct AccessLogClock {
    private var second = -1
    private var prefix: [UInt8] = []

    /// `time` in RFC 3339, UTC, with milliseconds: `2026-12-03T11:03:48.123Z`.
    mutating func append(_ time: timespec, to out: inout [UInt8]) {
        if time.tv_sec != self.second {
            self.second = time.tv_sec
            self.prefix = Self.format(time.tv_sec)
        }
        out.append(contentsOf: self.prefix)
        AccessLogLine.appendDigits(Int(time.tv_nsec) / 1_000_000, count: 3, to: &out)
        out.append(UInt8(ascii: "Z"))
    }

    /// `2026-12-03T11:03:48.` for `seconds` since the epoch.
    private static func format(_ seconds: Int) -> [UInt8] {
        var seconds = seconds
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var out: [UInt8] = []
        out.reserveCapacity(20)
        AccessLogLine.appendDigits(Int(parts.tm_year) + 1900, count: 4, to: &out)
        out.append(UInt8(ascii: "-"))
        AccessLogLine.appendDigits(Int(parts.tm_mon) + 1, count: 2, to: &out)
        out.append(UInt8(ascii: "-"))
        AccessLogLine.appendDigits(Int(parts.tm_mday), count: 2, to: &out)
        out.append(UInt8(ascii: "T"))
        AccessLogLine.appendDigits(Int(parts.tm_hour), count: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        AccessLogLine.appendDigits(Int(parts.tm_min), count: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        AccessLogLine.appendDigits(Int(parts.tm_sec), count: 2, to: &out)
        out.append(UInt8(ascii: "."))
        return out
    }
}
