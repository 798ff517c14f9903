/// The frozen route trie a ``Router`` searches: one immutable node per path depth, built once from the builder's
/// ``RouteNode``s.
///
/// A search walks the UTF-8 bytes of the request's path in place and copies no node (each is one reference).
/// Literals compare as bytes, which orders them as text would: paths are ASCII (RFC 3986 percent-encodes the rest).
final class RouteTable: Sendable {
    /// The literal children's texts as UTF-8, sorted by bytes, and the children in the same order: a binary search
    /// of a few byte comparisons, which beats building a `String` from the segment and hashing it.
    private let literalKeys: [[UInt8]]
    private let literalChildren: [RouteTable]
    private let parameter: RouteTable?
    private let wildcard: Endpoint?
    private let endpoint: Endpoint?

    init(_ node: RouteNode) {
        let literals = node.literals.map { (key: Array($0.key.utf8), node: $0.value) }
            .sorted { $0.key.lexicographicallyPrecedes($1.key) }
        self.literalKeys = literals.map(\.key)
        self.literalChildren = literals.map { RouteTable($0.node) }
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
        if let child = self.literalChild(UnsafeBufferPointer(rebasing: path[segment])),
            let found = child.endpoint(for: path, from: segment.upperBound)
        {
            return found
        }
        if let child = self.parameter, let found = child.endpoint(for: path, from: segment.upperBound) {
            return found
        }
        return self.wildcard
    }

    /// The literal child named exactly `segment`.
    private func literalChild(_ segment: UnsafeBufferPointer<UInt8>) -> RouteTable? {
        var low = 0
        var high = self.literalKeys.count
        while low < high {
            let middle = (low + high) / 2
            let order = self.literalKeys[middle].withUnsafeBufferPointer { compareBytes($0, segment) }
            if order == 0 { return self.literalChildren[middle] }
            if order < 0 { low = middle + 1 } else { high = middle }
        }
        return nil
    }
}

/// Negative, zero or positive as `a` sorts before, equal to or after `b`, byte by byte (a prefix first).
private func compareBytes(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Int {
    for index in 0..<Swift.min(a.count, b.count) where a[index] != b[index] {
        return a[index] < b[index] ? -1 : 1
    }
    return a.count - b.count
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
