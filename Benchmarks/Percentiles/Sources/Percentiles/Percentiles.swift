import Foundation
import Histogram

/// Reads h2load `--log-file` files (one line per request: start time in µs since the epoch, HTTP status or -1 for a
/// failed request, duration in µs; tab-separated), records each answered request's duration in an HdrHistogram
/// (1 µs to 60 s, three significant digits) and prints one line of `key=value` fields:
///
///     requests=N failed=N non2xx=N p50_ms=.. p99_ms=.. p999_ms=.. max_ms=.. seconds=.. rate=..
///
/// `seconds` runs from the first request's start to the last response, `rate` is requests / seconds (what the client
/// achieved, to compare with the rate it was asked to offer). Exits 1 when no request was answered, 2 on bad input.
@main
enum Percentiles {
    static func main() {
        let paths = CommandLine.arguments.dropFirst()
        guard !paths.isEmpty else {
            fail("usage: percentiles H2LOAD_LOG_FILE...", status: 2)
        }
        var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        var failed = 0
        var non2xx = 0
        var first = UInt64.max
        var last = UInt64.min
        for path in paths {
            guard let file = fopen(path, "r") else {
                fail("percentiles: cannot read \(path)", status: 2)
            }
            defer { fclose(file) }
            // A peak HTTP/2 run logs millions of lines: read them one at a time rather than the whole file.
            var buffer: UnsafeMutablePointer<CChar>? = nil
            var capacity = 0
            defer { free(buffer) }
            var lineNumber = 0
            while getline(&buffer, &capacity, file) > 0, let buffer {
                lineNumber += 1
                guard let (start, status, duration) = parse(buffer) else {
                    fail("percentiles: \(path) line \(lineNumber) is not `start<TAB>status<TAB>duration`", status: 2)
                }
                guard status >= 0 else {
                    failed += 1
                    continue
                }
                if !(200..<300).contains(status) { non2xx += 1 }
                guard histogram.record(Swift.max(duration, 1)) else {
                    fail("percentiles: \(path) line \(lineNumber): a duration above 60 s", status: 2)
                }
                first = Swift.min(first, start)
                last = Swift.max(last, start + duration)
            }
        }
        guard histogram.totalCount > 0 else {
            fail("percentiles: no answered request in \(paths.joined(separator: " "))", status: 1)
        }
        let seconds = Double(last - first) / 1_000_000
        let fields = [
            "requests=\(histogram.totalCount)", "failed=\(failed)", "non2xx=\(non2xx)",
            "p50_ms=\(milliseconds(histogram.valueAtPercentile(50)))",
            "p99_ms=\(milliseconds(histogram.valueAtPercentile(99)))",
            "p999_ms=\(milliseconds(histogram.valueAtPercentile(99.9)))",
            "max_ms=\(milliseconds(histogram.max))",
            String(format: "seconds=%.3f", seconds),
            String(format: "rate=%.1f", seconds > 0 ? Double(histogram.totalCount) / seconds : 0),
        ]
        print(fields.joined(separator: " "))
    }

    /// Parses `start<TAB>status<TAB>duration` (decimal integers, status possibly -1) from a NUL-terminated line,
    /// without building strings: a peak run's log has millions of lines.
    static func parse(_ line: UnsafeMutablePointer<CChar>) -> (start: UInt64, status: Int, duration: UInt64)? {
        var index = 0
        func number() -> (value: UInt64, negative: Bool)? {
            let negative = line[index] == 0x2D  // "-"
            if negative { index += 1 }
            var value: UInt64 = 0
            var digits = 0
            while line[index] >= 0x30 && line[index] <= 0x39 {
                value = value &* 10 &+ UInt64(line[index] - 0x30)
                index += 1
                digits += 1
            }
            guard digits > 0, digits < 20 else { return nil }
            return (value, negative)
        }
        guard let start = number(), !start.negative, line[index] == 0x09 else { return nil }
        index += 1
        guard let status = number(), line[index] == 0x09 else { return nil }
        index += 1
        guard let duration = number(), !duration.negative else { return nil }
        guard line[index] == 0x0A || line[index] == 0 else { return nil }
        return (start.value, status.negative ? -Int(status.value) : Int(status.value), duration.value)
    }

    /// A duration in µs as milliseconds with three decimals.
    static func milliseconds(_ microseconds: UInt64) -> String {
        String(format: "%.3f", Double(microseconds) / 1000)
    }

    /// Prints the message on stderr and exits.
    static func fail(_ message: String, status: Int32) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        exit(status)
    }
}
