import HTTPTypes
public import Transport

/// The frozen route table: finds the route for a request and runs its chain.
///
/// Unknown paths get 404, known paths with another method 405 with `Allow` — before any route
/// middleware (such as authentication) runs. Literal segments win over captures, captures over `*`.
public struct Router: Responder {
    private let root: RouteNode

    init(root: RouteNode) {
        self.root = root
    }

    public func respond(to request: Request, context: RequestContext) async throws -> Response {
        switch self.match(method: request.method, path: request.path) {
        case .notFound:
            return .problem(status: .notFound, title: "Not found")
        case .methodNotAllowed(let allow):
            var response = Response.problem(status: .methodNotAllowed, title: "Method not allowed")
            response.head.headerFields[.allow] = allow
            return response
        case .found(let route, let captures):
            var context = context
            for (name, value) in zip(route.captureNames, captures) {
                context.parameters[name] = percentDecoded(value, plusAsSpace: false)
            }
            return try await route.responder.respond(to: request, context: context)
        }
    }

    /// The outcome of a lookup.
    enum Match {
        case found(Route, captures: [Substring])
        case methodNotAllowed(allow: String)
        case notFound
    }

    /// Finds the route for `method` and `path` (the path without its query).
    func match(method: HTTPRequest.Method, path: Substring) -> Match {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        var captures: [Substring] = []
        guard let (endpoint, found) = Self.endpoint(in: self.root, for: segments[...], captures: &captures) else {
            return .notFound
        }
        guard let route = endpoint.route(for: method) else { return .methodNotAllowed(allow: endpoint.allow) }
        return .found(route, captures: found)
    }

    /// Depth-first search: literal, then capture, then wildcard; returns the endpoint and its captures.
    private static func endpoint(
        in node: RouteNode,
        for segments: ArraySlice<Substring>,
        captures: inout [Substring]
    ) -> (Endpoint, [Substring])? {
        guard let segment = segments.first else {
            if let endpoint = node.endpoint { return (endpoint, captures) }
            if let wildcard = node.wildcard { return (wildcard, captures + [""]) }
            return nil
        }
        let rest = segments.dropFirst()
        if let child = node.literals[String(segment)],
            let found = Self.endpoint(in: child, for: rest, captures: &captures)
        {
            return found
        }
        if let child = node.parameter.first {
            captures.append(segment)
            if let found = Self.endpoint(in: child, for: rest, captures: &captures) { return found }
            captures.removeLast()
        }
        if let wildcard = node.wildcard {
            let remainder = segments.joined(separator: "/")
            return (wildcard, captures + [Substring(remainder)])
        }
        return nil
    }
}
