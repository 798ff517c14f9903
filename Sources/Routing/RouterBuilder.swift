public import GatehouseTransport
public import HTTPTypes

/// Collects routes, then freezes them into an immutable ``Router``.
///
/// ```swift
/// var routes = RouterBuilder()
/// try routes.add("/api/hello", function: Hello(), middleware: [authentication])
/// try routes.add("/healthz", function: Health())
/// let router = routes.build()
/// ```
public struct RouterBuilder: Sendable {
    private var root = RouteNode()

    /// Creates an empty route table.
    public init() {}

    /// Adds a route: `methods` on `path` run `middleware` (first outermost), then `function`.
    ///
    /// A `GET` route also answers `HEAD` unless `HEAD` is routed explicitly.
    /// - Throws: ``RoutingError/invalidPattern(_:_:)`` for a malformed path and
    ///   ``RoutingError/duplicateRoute(method:first:second:)`` when a method and path shape are taken.
    public mutating func add(
        _ path: String,
        methods: [HTTPRequest.Method] = [.get],
        function: some Function,
        middleware: [any Middleware] = []
    ) throws {
        let pattern = try RoutePattern(path)
        let responder = middleware.chainedWithFastPath(to: function.responder)
        for method in methods {
            let route = Route(method: method, pattern: pattern, responder: responder)
            try self.root.insert(route, at: pattern.segments[...])
        }
    }

    /// The frozen table.
    public func build() -> Router {
        Router(table: RouteTable(self.root))
    }
}

/// One method on one path pattern and the chain that answers it. A class: a lookup hands it out on every request,
/// and copying a reference is one retain where the struct's fields were four.
final class Route: Sendable {
    let method: HTTPRequest.Method
    let pattern: RoutePattern
    /// The pattern as configured (`/users/{id}`), written once for request records.
    let patternText: String
    let responder: any ImmediateResponder
    /// Whether the pattern has `{captures}` or `*`, i.e. whether a match sets ``RequestContext/parameters``.
    let captures: Bool

    init(method: HTTPRequest.Method, pattern: RoutePattern, responder: any ImmediateResponder) {
        self.method = method
        self.pattern = pattern
        self.patternText = pattern.description
        self.responder = responder
        self.captures = pattern.segments.contains { segment in
            if case .literal = segment { return false }
            return true
        }
    }
}

/// The routes that share one path shape, one per method.
struct Endpoint: Sendable {
    /// A handful at most: searched in order, which beats hashing the method.
    private(set) var routes: [Route] = []
    /// The `Allow` header value, computed once.
    private(set) var allow: String = ""

    mutating func add(_ route: Route) throws {
        if let existing = self.routes.first(where: { $0.method == route.method }) {
            throw RoutingError.duplicateRoute(
                method: route.method.rawValue,
                first: existing.pattern.description,
                second: route.pattern.description
            )
        }
        self.routes.append(route)
        var methods = Set(self.routes.map(\.method.rawValue))
        if methods.contains("GET") { methods.insert("HEAD") }
        self.allow = methods.sorted().joined(separator: ", ")
    }

    func route(for method: HTTPRequest.Method) -> Route? {
        if let route = self.routes.first(where: { $0.method == method }) { return route }
        if method == .head { return self.routes.first { $0.method == .get } }
        return nil
    }
}

/// A node of the route trie: one path segment deep.
struct RouteNode: Sendable {
    var literals: [String: RouteNode] = [:]
    /// At most one element: the child for a `{capture}` segment (an array gives the recursion indirection).
    var parameter: [RouteNode] = []
    var wildcard: Endpoint?
    var endpoint: Endpoint?

    mutating func insert(_ route: Route, at segments: ArraySlice<RoutePattern.Segment>) throws {
        guard let first = segments.first else {
            var endpoint = self.endpoint ?? Endpoint()
            try endpoint.add(route)
            self.endpoint = endpoint
            return
        }
        let rest = segments.dropFirst()
        switch first {
        case .literal(let text):
            var child = self.literals[text] ?? RouteNode()
            try child.insert(route, at: rest)
            self.literals[text] = child
        case .parameter:
            var child = self.parameter.first ?? RouteNode()
            try child.insert(route, at: rest)
            self.parameter = [child]
        case .wildcard:
            var endpoint = self.wildcard ?? Endpoint()
            try endpoint.add(route)
            self.wildcard = endpoint
        }
    }
}
