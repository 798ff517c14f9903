/// A route table that cannot be built.
public enum RoutingError: Error, Hashable, CustomStringConvertible {
    /// The path pattern is malformed; the second value says how.
    case invalidPattern(String, String)
    /// Two routes claim the same method and path.
    case duplicateRoute(method: String, first: String, second: String)

    /// The problem, naming the pattern or both routes: `invalid route pattern 'x': must start with /`.
    public var description: String {
        switch self {
        case .invalidPattern(let pattern, let problem):
            "invalid route pattern '\(pattern)': \(problem)"
        case .duplicateRoute(let method, let first, let second):
            "duplicate route: \(method) \(second) is already served by \(method) \(first)"
        }
    }
}
