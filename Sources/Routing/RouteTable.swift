/// The frozen route trie a ``Router`` searches: one immutable node per path depth, built once from the builder's
/// ``RouteNode``s.
///
/// A search walks the UTF-8 bytes of the request's path in place and copies no node (each is one reference).
final class RouteTable: Sendable {
    private let literals: [String: RouteTable]
    /// The UTF-8 length of the longest literal child: a longer segment cannot be one, so it is not looked up.
    private let longestLiteral: Int
    private let parameter: RouteTable?
    private let wildcard: Endpoint?
    private let endpoint: Endpoint?

    init(_ node: RouteNode) {
        self.literals = node.literals.mapValues(RouteTable.init)
        self.longestLiteral = node.literals.keys.map(\.utf8.count).max() ?? 0
        self.parameter = node.parameter.first.map(RouteTable.init)
        self.wildcard = node.wildcard
        self.endpoint = node.endpoint
    }

    /// The endpoint for the path in `path` from byte `position` on. Depth first: literal, then capture, then
    /// wildcard.
    func endpoint(for path: UnsafeBufferPointer<UInt8>, from position: Int) -> Endpoint? {
        guard let segment = path.pathSegment(from: position) else {
            return self.endpoint ?? self.wildcard
        }
        // Up to 15 bytes the key is a small string: no allocation.
        if segment.count <= self.longestLiteral,
            let child = self.literals[String(decoding: UnsafeBufferPointer(rebasing: path[segment]), as: UTF8.self)],
            let found = child.endpoint(for: path, from: segment.upperBound)
        {
            return found
        }
        if let child = self.parameter, let found = child.endpoint(for: path, from: segment.upperBound) {
            return found
        }
        return self.wildcard
    }
}

extension UnsafeBufferPointer<UInt8> {
    /// The byte range of the first non-empty `/`-separated segment at or after `position`; `nil` when only
    /// slashes are left.
    func pathSegment(from position: Int) -> Range<Int>? {
        let slash = UInt8(ascii: "/")
        var start = position
        while start < self.count, self[start] == slash { start += 1 }
        guard start < self.count else { return nil }
        var end = start + 1
        while end < self.count, self[end] != slash { end += 1 }
        return start..<end
    }
}
