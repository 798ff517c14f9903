/// A parsed route path: literal segments, `{name}` captures and an optional trailing `*`.
///
/// `/api/hello`, `/users/{id}/keys/{key}`, `/static/*`.
public struct RoutePattern: Sendable, Hashable, CustomStringConvertible {
    /// One segment of a pattern.
    public enum Segment: Sendable, Hashable {
        /// Matches exactly this text.
        case literal(String)
        /// Matches any one segment and captures it under this name.
        case parameter(String)
        /// Matches the rest of the path (zero or more segments); only last. Captured as `*`.
        case wildcard
    }

    /// The segments, in order.
    public let segments: [Segment]

    /// Parses `path`.
    /// - Throws: ``RoutingError`` when the pattern is not absolute, a capture is unnamed, malformed or named
    ///   twice, or `*` is not the last segment.
    public init(_ path: String) throws {
        guard path.hasPrefix("/") else { throw RoutingError.invalidPattern(path, "must start with /") }
        var segments: [Segment] = []
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        for (index, part) in parts.enumerated() {
            if part == "*" {
                guard index == parts.count - 1 else {
                    throw RoutingError.invalidPattern(path, "* must be the last segment")
                }
                segments.append(.wildcard)
            } else if part.hasPrefix("{") || part.hasSuffix("}") {
                guard part.hasPrefix("{"), part.hasSuffix("}"), part.count > 2 else {
                    throw RoutingError.invalidPattern(path, "a capture is written {name}")
                }
                let name = String(part.dropFirst().dropLast())
                // A request's parameters are looked up by name, so a second capture of the same name would be
                // unreachable.
                guard !segments.contains(.parameter(name)) else {
                    throw RoutingError.invalidPattern(
                        path,
                        "the capture {\(name)} appears twice; give each its own name"
                    )
                }
                segments.append(.parameter(name))
            } else {
                segments.append(.literal(String(part)))
            }
        }
        self.segments = segments
    }

    /// The pattern as it would be written, e.g. `/users/{id}/keys/*`; empty segments dropped.
    public var description: String {
        "/"
            + self.segments.map { segment in
                switch segment {
                case .literal(let text): text
                case .parameter(let name): "{\(name)}"
                case .wildcard: "*"
                }
            }.joined(separator: "/")
    }
}
