import Foundation
import Yams

/// One node of a parsed configuration file with its key path, for typed reading with precise errors.
///
/// Every string scalar has `${NAME}` replaced by the environment variable `NAME` (an unset variable is an error).
struct ConfigNode {
    let node: Node
    let keyPath: String
    let file: String
    let environment: [String: String]

    /// An error about this node.
    func error(_ problem: String) -> ConfigurationError {
        ConfigurationError(
            file: self.file,
            keyPath: self.keyPath,
            line: self.node.mark.map { $0.line },
            problem: problem
        )
    }

    /// The child under `key` of a mapping.
    func child(_ key: String, _ node: Node) -> ConfigNode {
        let path = self.keyPath.isEmpty ? key : "\(self.keyPath).\(key)"
        return ConfigNode(node: node, keyPath: path, file: self.file, environment: self.environment)
    }

    /// The mapping's entries; any key not in `allowed` is an error.
    func mapping(allowed: Set<String>) throws -> [String: ConfigNode] {
        guard case .mapping(let mapping) = self.node else { throw self.error("expected a mapping") }
        var entries: [String: ConfigNode] = [:]
        for (key, value) in mapping {
            guard let name = key.string else { throw self.error("keys must be strings") }
            let child = self.child(name, value)
            guard allowed.contains(name) else {
                throw child.error("unknown key (expected one of: \(allowed.sorted().joined(separator: ", ")))")
            }
            entries[name] = child
        }
        return entries
    }

    /// A mapping with free-form keys (e.g. policy names), in file order.
    func namedEntries() throws -> [(name: String, node: ConfigNode)] {
        guard case .mapping(let mapping) = self.node else { throw self.error("expected a mapping") }
        return try mapping.map { key, value in
            guard let name = key.string, !name.isEmpty else { throw self.error("names must be non-empty strings") }
            return (name, self.child(name, value))
        }
    }

    /// The elements of a sequence.
    func sequence() throws -> [ConfigNode] {
        guard case .sequence(let sequence) = self.node else { throw self.error("expected a list") }
        return sequence.enumerated().map { index, element in
            ConfigNode(
                node: element,
                keyPath: "\(self.keyPath)[\(index)]",
                file: self.file,
                environment: self.environment
            )
        }
    }

    /// A string scalar with `${NAME}` interpolated.
    func string() throws -> String {
        guard case .scalar(let scalar) = self.node else { throw self.error("expected a string") }
        return try self.interpolate(scalar.string)
    }

    /// A list of strings; a single string counts as a list of one.
    func strings() throws -> [String] {
        if case .scalar = self.node { return [try self.string()] }
        return try self.sequence().map { try $0.string() }
    }

    /// An integer scalar.
    func int() throws -> Int {
        guard let value = Int(try self.string()) else { throw self.error("expected a whole number") }
        return value
    }

    /// A boolean scalar (`true`/`false`).
    func bool() throws -> Bool {
        switch try self.string().lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw self.error("expected true or false")
        }
    }

    /// A duration: `10s`, `500ms`, `2m`, `1h`, `14d`, or a number of seconds, within `range` (an error naming the key
    /// otherwise: a value that does not fit is never rounded or trapped on).
    func duration(in range: ClosedRange<Duration> = .milliseconds(1) ... .seconds(24 * 3600)) throws -> Duration {
        let text = try self.string().trimmingCharacters(in: .whitespaces)
        let units: [(suffix: String, scale: Double)] = [
            ("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400),
        ]
        let parsed =
            units.first { text.hasSuffix($0.suffix) && Double(text.dropLast($0.suffix.count)) != nil }
            .map { (Double(text.dropLast($0.suffix.count))!, $0.scale) } ?? Double(text).map { ($0, 1) }
        guard let (value, scale) = parsed, value.isFinite else {
            throw self.error("expected a duration such as 10s, 500ms or 2m")
        }
        let milliseconds = value * scale * 1000
        guard milliseconds >= Double(range.lowerBound.milliseconds),
            milliseconds <= Double(range.upperBound.milliseconds)
        else {
            throw self.error("must be between \(range.lowerBound.configText) and \(range.upperBound.configText)")
        }
        return .milliseconds(Int64(milliseconds.rounded()))
    }

    /// A whole number within `range`; sizes in bytes may be written `64KiB`, `1MiB`, `1GiB` too.
    func size(in range: ClosedRange<Int>) throws -> Int {
        let text = try self.string().trimmingCharacters(in: .whitespaces)
        let units: [(suffix: String, scale: Int)] = [("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("", 1)]
        for unit in units where text.hasSuffix(unit.suffix) {
            guard let number = Int(text.dropLast(unit.suffix.count).trimmingCharacters(in: .whitespaces)) else {
                continue
            }
            let (value, overflow) = number.multipliedReportingOverflow(by: unit.scale)
            guard !overflow, range.contains(value) else {
                throw self.error("must be between \(range.lowerBound) and \(range.upperBound)")
            }
            return value
        }
        throw self.error("expected a whole number (bytes may be written 64KiB, 1MiB, 1GiB)")
    }

    /// One of `type`'s raw values.
    func choice<Choice: RawRepresentable & CaseIterable>(_ type: Choice.Type) throws -> Choice
    where Choice.RawValue == String {
        let text = try self.string()
        guard let value = Choice(rawValue: text) else {
            let options = Choice.allCases.map(\.rawValue).joined(separator: " | ")
            throw self.error("'\(text)' is not one of \(options)")
        }
        return value
    }

    /// Replaces `${NAME}` with the environment variable's value.
    private func interpolate(_ text: String) throws -> String {
        guard text.contains("${") else { return text }
        var result = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            result += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                throw self.error("unterminated ${ in '\(text)'")
            }
            let name = String(rest[start.upperBound..<end])
            guard let value = self.environment[name] else {
                throw self.error("environment variable \(name) is not set")
            }
            result += value
            rest = rest[rest.index(after: end)...]
        }
        return result + rest
    }
}

extension Duration {
    /// Whole milliseconds (durations in a configuration are never finer).
    var milliseconds: Int64 { self.components.seconds * 1000 + self.components.attoseconds / 1_000_000_000_000_000 }

    /// `10s`, `500ms`, `24h`: how the configuration file writes it.
    var configText: String {
        let ms = self.milliseconds
        if ms == 0 { return "0s" }
        if ms % 3_600_000 == 0 { return "\(ms / 3_600_000)h" }
        if ms % 1000 == 0 { return "\(ms / 1000)s" }
        return "\(ms)ms"
    }
}
