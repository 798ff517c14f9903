import Foundation
import Yams

extension ConfigurationReader {
    /// The 1-based line of `keyPath` (`listeners[0].tls.pkcs12`, `policies.partners.trustedCAs[1]`) in the
    /// configuration file, for errors found after reading it: loading certificates and keys, building routes.
    ///
    /// Reads the file again, which only an error pays for. A key path the file does not hold (a key given on the
    /// command line, a single path written where a list may be) gets the line of its nearest ancestor; a file that
    /// cannot be read, or a configuration built in code, gets `nil`.
    static func line(of keyPath: String, inFile file: String) -> Int? {
        guard let data = FileManager.default.contents(atPath: file),
            let root = try? Yams.compose(yaml: String(decoding: data, as: UTF8.self))
        else { return nil }
        return self.nearestNode(Substring(keyPath), in: root).mark?.line
    }

    /// The node at `path` below `node`, or the deepest one on the way there.
    private static func nearestNode(_ path: Substring, in node: Node) -> Node {
        var rest = path
        if rest.hasPrefix(".") { rest = rest.dropFirst() }
        if rest.isEmpty { return node }
        switch node {
        case .mapping(let mapping):
            // Names (a policy's) may hold dots: the longest key the path starts with, at a boundary, wins.
            var best: (name: String, value: Node)?
            for (key, value) in mapping {
                guard let name = key.string, rest.hasPrefix(name), name.count > (best?.name.count ?? -1) else {
                    continue
                }
                let after = rest.dropFirst(name.count)
                if after.isEmpty || after.first == "." || after.first == "[" { best = (name, value) }
            }
            guard let best else { return node }
            return self.nearestNode(rest.dropFirst(best.name.count), in: best.value)
        case .sequence(let sequence):
            guard rest.hasPrefix("["), let close = rest.firstIndex(of: "]"),
                let index = Int(rest[rest.index(after: rest.startIndex)..<close]), sequence.indices.contains(index)
            else { return node }
            return self.nearestNode(rest[rest.index(after: close)...], in: sequence[index])
        case .scalar, .alias:
            return node
        }
    }
}
