import Foundation
import GatehouseTransport
import HTTPTypes

/// Writes one access-log line for a request record, as JSON or as `key=value` text, straight into a byte buffer.
///
/// Hand-written rather than `JSONEncoder`: a line costs a few hundred instructions instead of tens of thousands
/// (Benchmarks/README.md). Strings from the client (path, certificate subject) are escaped, so every line is valid
/// JSON (or one text line) whatever bytes they hold.
enum AccessLogLine {
    /// Appends `record`'s line, ending in `\n`, to `out`.
    static func append(
        _ record: RequestRecord,
        format: AccessLogConfiguration.Format,
        time: timespec,
        to out: inout [UInt8]
    ) {
        switch format {
        case .json: Self.appendJSON(record, time: time, to: &out)
        case .text: Self.appendText(record, time: time, to: &out)
        }
    }

    private static func appendJSON(_ record: RequestRecord, time: timespec, to out: inout [UInt8]) {
        let connection = record.connection
        out.append(contentsOf: #"{"time":""#.utf8)
        appendTime(time, to: &out)
        out.append(contentsOf: #"","remote":"#.utf8)
        appendJSONString(record.remote, to: &out)
        out.append(contentsOf: #","listener":"#.utf8)
        appendJSONString(record.listener, to: &out)
        out.append(contentsOf: #","protocol":""#.utf8)
        out.append(contentsOf: record.protocolName.utf8)
        out.append(contentsOf: #"","method":"#.utf8)
        appendJSONString(record.method?.rawValue, to: &out)
        out.append(contentsOf: #","path":"#.utf8)
        appendJSONString(record.path, to: &out)
        out.append(contentsOf: #","status":"#.utf8)
        appendInteger(record.status, to: &out)
        out.append(contentsOf: #","bytes":"#.utf8)
        appendInteger(record.bodyBytes, to: &out)
        out.append(contentsOf: #","duration_ms":"#.utf8)
        appendMilliseconds(record.duration, to: &out)
        out.append(contentsOf: #","tls_version":"#.utf8)
        appendJSONString(connection.tls.protocolVersion, to: &out)
        out.append(contentsOf: #","tls_resumed":"#.utf8)
        out.append(contentsOf: (connection.tls.isResumed ? "true" : "false").utf8)
        out.append(contentsOf: #","client_subject":"#.utf8)
        appendJSONString(connection.clientSubject, to: &out)
        out.append(contentsOf: #","client_sha256":"#.utf8)
        appendJSONString(connection.clientSHA256, to: &out)
        out.append(contentsOf: #","policy":"#.utf8)
        appendJSONString(record.policy, to: &out)
        out.append(contentsOf: #","decision":""#.utf8)
        out.append(contentsOf: record.decision.rawValue.utf8)
        out.append(contentsOf: #"","reason":"#.utf8)
        appendJSONString(record.reason, to: &out)
        out.append(contentsOf: "}\n".utf8)
    }

    private static func appendText(_ record: RequestRecord, time: timespec, to out: inout [UInt8]) {
        let connection = record.connection
        appendTime(time, to: &out)
        out.append(contentsOf: " remote=".utf8)
        out.append(contentsOf: record.remote.utf8)
        out.append(contentsOf: " listener=".utf8)
        appendQuotedText(record.listener, to: &out)
        out.append(contentsOf: " protocol=".utf8)
        out.append(contentsOf: record.protocolName.utf8)
        out.append(contentsOf: " method=".utf8)
        appendQuotedText(record.method?.rawValue, to: &out)
        out.append(contentsOf: " path=".utf8)
        appendQuotedText(record.path, to: &out)
        out.append(contentsOf: " status=".utf8)
        appendInteger(record.status, to: &out)
        out.append(contentsOf: " bytes=".utf8)
        appendInteger(record.bodyBytes, to: &out)
        out.append(contentsOf: " duration_ms=".utf8)
        appendMilliseconds(record.duration, to: &out)
        out.append(contentsOf: " tls_version=".utf8)
        out.append(contentsOf: connection.tls.protocolVersion.utf8)
        out.append(contentsOf: " tls_resumed=".utf8)
        out.append(contentsOf: (connection.tls.isResumed ? "true" : "false").utf8)
        out.append(contentsOf: " client_subject=".utf8)
        appendQuotedText(connection.clientSubject, to: &out)
        out.append(contentsOf: " client_sha256=".utf8)
        out.append(contentsOf: (connection.clientSHA256 ?? "-").utf8)
        out.append(contentsOf: " policy=".utf8)
        appendQuotedText(record.policy, to: &out)
        out.append(contentsOf: " decision=".utf8)
        out.append(contentsOf: record.decision.rawValue.utf8)
        out.append(contentsOf: " reason=".utf8)
        appendQuotedText(record.reason, to: &out)
        out.append(UInt8(ascii: "\n"))
    }

    /// `time` in RFC 3339, UTC, with milliseconds: `2026-12-03T11:03:48.123Z`.
    static func appendTime(_ time: timespec, to out: inout [UInt8]) {
        var seconds = time.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        appendDigits(Int(parts.tm_year) + 1900, count: 4, to: &out)
        out.append(UInt8(ascii: "-"))
        appendDigits(Int(parts.tm_mon) + 1, count: 2, to: &out)
        out.append(UInt8(ascii: "-"))
        appendDigits(Int(parts.tm_mday), count: 2, to: &out)
        out.append(UInt8(ascii: "T"))
        appendDigits(Int(parts.tm_hour), count: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendDigits(Int(parts.tm_min), count: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendDigits(Int(parts.tm_sec), count: 2, to: &out)
        out.append(UInt8(ascii: "."))
        appendDigits(Int(time.tv_nsec) / 1_000_000, count: 3, to: &out)
        out.append(UInt8(ascii: "Z"))
    }

    /// `duration` in milliseconds with three decimals (microsecond resolution): `0.412`.
    static func appendMilliseconds(_ duration: Duration, to out: inout [UInt8]) {
        let (seconds, attoseconds) = duration.components
        let microseconds = max(0, Int(seconds) * 1_000_000 + Int(attoseconds / 1_000_000_000_000))
        appendInteger(microseconds / 1000, to: &out)
        out.append(UInt8(ascii: "."))
        appendDigits(microseconds % 1000, count: 3, to: &out)
    }

    private static func appendInteger(_ value: Int, to out: inout [UInt8]) {
        out.append(contentsOf: String(value).utf8)
    }

    private static func appendDigits(_ value: Int, count: Int, to out: inout [UInt8]) {
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
    /// strings hold valid UTF-8, so the rest is copied as it is.
    static func appendJSONString(_ text: (some StringProtocol)?, to out: inout [UInt8]) {
        guard let text else {
            out.append(contentsOf: "null".utf8)
            return
        }
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: #"\\"#.utf8)
            case 0x0A: out.append(contentsOf: #"\n"#.utf8)
            case 0x0D: out.append(contentsOf: #"\r"#.utf8)
            case 0x09: out.append(contentsOf: #"\t"#.utf8)
            case 0..<0x20, 0x7F:
                out.append(contentsOf: #"\u00"#.utf8)
                out.append(Self.hexDigits[Int(byte >> 4)])
                out.append(Self.hexDigits[Int(byte & 0x0F)])
            default: out.append(byte)
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
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: #"\\"#.utf8)
            case 0..<0x20, 0x7F:
                out.append(contentsOf: #"\x"#.utf8)
                out.append(Self.hexDigits[Int(byte >> 4)])
                out.append(Self.hexDigits[Int(byte & 0x0F)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
