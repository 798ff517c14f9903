import GatehouseRouting
import GatehouseTransport
import HTTPTypes
import NIOCore
import Testing

/// A function that answers with its name and the captured parameters, to see which route ran.
struct Named: Function {
    let name: String
    func respond(to request: Request, context: RequestContext) async throws -> Response {
        let parameters = context.parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return .text(([self.name] + parameters).joined(separator: " "))
    }
}

func makeContext() -> RequestContext {
    let tls = TLSSessionInfo(
        protocolVersion: "TLSv1.3",
        cipher: "TLS_AES_128_GCM_SHA256",
        alpn: "h2",
        peerCertificates: [],
        verifyResult: nil,
        isResumed: false
    )
    let info = ConnectionInfo(id: 1, remoteAddress: nil, localAddress: nil, httpVersion: .http2, tls: tls)
    return RequestContext(connection: info, connectionStore: ConnectionStore())
}

func send(_ router: Router, _ method: HTTPRequest.Method, _ path: String) async throws -> Response {
    let request = Request(head: HTTPRequest(method: method, scheme: "https", authority: "localhost", path: path))
    return try await router.respond(to: request, context: makeContext())
}

extension Response {
    var text: String { String(buffer: self.body) }
}

@Suite struct RouterTests {
    let router: Router

    init() throws {
        var builder = RouterBuilder()
        try builder.add("/api/hello", function: Named(name: "hello"))
        try builder.add("/api/hello", methods: [.post, .put], function: Named(name: "hello-write"))
        try builder.add("/users/{id}", function: Named(name: "user"))
        try builder.add("/users/me", function: Named(name: "me"))
        try builder.add("/users/{id}/keys/{key}", function: Named(name: "key"))
        try builder.add("/static/*", function: Named(name: "static"))
        self.router = builder.build()
    }

    @Test func literalRoute() async throws {
        let response = try await send(self.router, .get, "/api/hello?name=x")
        #expect(response.status == .ok)
        #expect(response.text == "hello")
    }

    @Test func literalWinsOverCapture() async throws {
        #expect(try await send(self.router, .get, "/users/me").text == "me")
        #expect(try await send(self.router, .get, "/users/42").text == "user id=42")
    }

    @Test func capturesArePercentDecoded() async throws {
        let response = try await send(self.router, .get, "/users/J%C3%BCrgen/keys/a%2Fb")
        #expect(response.text == "key id=Jürgen key=a/b")
    }

    @Test func trailingWildcardTakesTheRest() async throws {
        #expect(try await send(self.router, .get, "/static/css/site.css").text == "static *=css/site.css")
        #expect(try await send(self.router, .get, "/static").text == "static *=")
    }

    @Test func emptySegmentsAreSkipped() async throws {
        #expect(try await send(self.router, .get, "//users//42/").text == "user id=42")
        #expect(try await send(self.router, .get, "/users/7//keys/x%20y").text == "key id=7 key=x y")
        #expect(try await send(self.router, .get, "/static//css//site.css/").text == "static *=css/site.css")
        #expect(try await send(self.router, .get, "/").status.code == 404)
    }

    @Test func unknownPathIs404Problem() async throws {
        let response = try await send(self.router, .get, "/nope")
        #expect(response.status.code == 404)
        #expect(response.head.headerFields[.contentType] == "application/problem+json")
        #expect(response.text.contains("\"status\":404"))
    }

    @Test func wrongMethodIs405WithAllow() async throws {
        let response = try await send(self.router, .delete, "/api/hello")
        #expect(response.status.code == 405)
        #expect(response.head.headerFields[.allow] == "GET, HEAD, POST, PUT")
    }

    @Test func headFallsBackToGet() async throws {
        #expect(try await send(self.router, .head, "/users/7").text == "user id=7")
    }

    @Test func duplicateRouteNamesBoth() throws {
        var builder = RouterBuilder()
        try builder.add("/users/{id}", function: Named(name: "a"))
        #expect(throws: RoutingError.duplicateRoute(method: "GET", first: "/users/{id}", second: "/users/{name}")) {
            try builder.add("/users/{name}", function: Named(name: "b"))
        }
    }

    @Test(arguments: ["api", "/a/*/b", "/a/{", "/a/{}"])
    func invalidPatternsAreRejected(pattern: String) {
        #expect(throws: RoutingError.self) { try RoutePattern(pattern) }
    }

    @Test func aCaptureNamedTwiceIsRefusedWhenTheRouteIsAdded() {
        var builder = RouterBuilder()
        #expect(
            throws: RoutingError.invalidPattern(
                "/api/{a}/{a}",
                "the capture {a} appears twice; give each its own name"
            )
        ) {
            try builder.add("/api/{a}/{a}", function: Named(name: "a"))
        }
        #expect(throws: Never.self) { try RoutePattern("/api/{a}/{b}") }
    }

    @Test func routeMiddlewareRunsOnlyForItsRoute() async throws {
        struct Deny: Middleware {
            func handle(_ request: Request, context: RequestContext, next: any Responder) async throws -> Response {
                .problem(status: .forbidden, title: "Forbidden")
            }
        }
        var builder = RouterBuilder()
        try builder.add("/private", function: Named(name: "private"), middleware: [Deny()])
        try builder.add("/public", function: Named(name: "public"))
        let router = builder.build()
        #expect(try await send(router, .get, "/private").status.code == 403)
        #expect(try await send(router, .get, "/public").status == .ok)
        // Routing comes first: the wrong method on the private path is 405, not 403.
        #expect(try await send(router, .post, "/private").status.code == 405)
    }
}
