public import GatehouseTransport
public import HTTPTypes

/// The frozen route table: finds the route for a request and runs its chain.
///
/// Unknown paths get 404, known paths with another method 405 with `Allow` — before any route
/// middleware (such as authentication) runs. Literal segments win over captures, captures over `*`.
/// A lookup walks the path's bytes in place: it allocates nothing unless the route captures parameters.
public struct Router: Responder {
    private let table: RouteTable

    init(table: RouteTable) {
        self.table = table
    }

    /// Answers 404 or 405 itself, or runs the matching route's chain with its captured parameters in the context.
    public func respond(to request: Request, context: RequestContext) async throws -> Response {
        switch self.route(request, noting: context.observation) {
        case .answer(let response): response
        case .pass(let route) where route.captures:
            try await route.responder.respond(
                to: request,
                context: Self.context(context, capturedBy: route, in: request)
            )
        case .pass(let route): try await route.responder.respond(to: request, context: context)
        }
    }

    /// The body mode of the route `head` matches; ``RequestBodyMode/collected`` when none does (a 404 or 405 needs
    /// no body).
    public func requestBodyMode(for head: HTTPRequest) -> RequestBodyMode {
        let path = Request(head: head).path
        guard case .found(let route) = self.match(method: head.method, path: path) else { return .collected }
        return route.responder.requestBodyMode(for: head)
    }

    /// What the router does with a request: answer it itself (404, 405), or pass it to a route's chain (with the
    /// caller's context as it is unless the route captures parameters: no copy of it on the usual path).
    private enum Routing {
        case answer(Response)
        case pass(Route)
    }

    /// Finds the route; notes its pattern in `observation` for the request's record.
    private func route(_ request: Request, noting observation: RequestObservation?) -> Routing {
        switch self.match(method: request.method, path: request.path) {
        case .notFound:
            return .answer(Self.notFound)
        case .methodNotAllowed(let allow):
            var response = Self.methodNotAllowed
            response.head.headerFields[.allow] = allow
            return .answer(response)
        case .found(let route):
            observation?.route = route.patternText
            return .pass(route)
        }
    }

    /// The router's own answers, encoded once: a scan of unknown paths gets them on every request.
    private static let notFound = Response.problem(status: .notFound, title: "Not found")
    private static let methodNotAllowed = Response.problem(status: .methodNotAllowed, title: "Method not allowed")

    /// `context` with the values `route` captures from the request's path.
    private static func context(_ context: RequestContext, capturedBy route: Route, in request: Request)
        -> RequestContext
    {
        var context = context
        route.pattern.capture(request.path, into: &context.parameters)
        return context
    }

    /// The outcome of a lookup.
    enum Match {
        case found(Route)
        case methodNotAllowed(allow: String)
        case notFound
    }

    /// Finds the route for `method` and `path` (the path without its query).
    func match(method: HTTPRequest.Method, path: Substring) -> Match {
        var path = path
        guard let endpoint = path.withUTF8({ self.table.endpoint(for: $0, from: 0) }) else { return .notFound }
        guard let route = endpoint.route(for: method) else { return .methodNotAllowed(allow: endpoint.allow) }
        return .found(route)
    }
}

extension Router: ImmediateResponder {
    package func respondImmediately(to request: Request, context: consuming RequestContext) throws -> Response? {
        switch self.route(request, noting: context.observation) {
        case .answer(let response):
            return response
        case .pass(let route):
            // The context is ours: the captured values go into it in place.
            if route.captures { route.pattern.capture(request.path, into: &context.parameters) }
            return try route.responder.respondImmediately(to: request, context: context)
        }
    }
}

extension RoutePattern {
    /// Puts the values of this pattern's captures in `path` (which it matches) into `parameters`, percent-decoded;
    /// a trailing wildcard's value is the rest of the path's segments under `*`.
    func capture(_ path: Substring, into parameters: inout [String: String]) {
        var path = path
        path.withUTF8 { bytes in
            var position = 0
            for segment in self.segments {
                let found = bytes.pathSegment(from: position)
                switch segment {
                case .literal:
                    position = found?.upperBound ?? bytes.count
                case .parameter(let name):
                    guard let found else { return }
                    parameters[name] = percentDecoded(bytes[found], plusAsSpace: false)
                    position = found.upperBound
                case .wildcard:
                    var rest: [UInt8] = []
                    while let next = bytes.pathSegment(from: position) {
                        if !rest.isEmpty { rest.append(UInt8(ascii: "/")) }
                        rest += bytes[next]
                        position = next.upperBound
                    }
                    parameters["*"] = percentDecoded(rest, plusAsSpace: false)
                    return
                }
            }
        }
    }
}
