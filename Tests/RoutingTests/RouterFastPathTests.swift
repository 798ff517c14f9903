import GatehouseRouting
import GatehouseTransport
import HTTPTypes
import Testing

/// Answers with its name and the captured parameters, without suspending.
private struct NamedNow: ImmediateFunction {
    let name: String
    func respond(to request: Request, context: RequestContext) async throws -> Response {
        try self.respondImmediately(to: request, context: context)
    }

    func respondImmediately(to request: Request, context: RequestContext) throws -> Response {
        let parameters = context.parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return .text(([self.name] + parameters).joined(separator: " "))
    }
}

/// The router's fast path: everything it answers itself, and a synchronous function, without a task.
@Suite struct RouterFastPathTests {
    let router: Router

    init() throws {
        var builder = RouterBuilder()
        try builder.add("/now/{id}", function: NamedNow(name: "now"))
        try builder.add("/later", function: Named(name: "later"))
        self.router = builder.build()
    }

    private func immediately(_ method: HTTPRequest.Method, _ path: String) throws -> Response? {
        let request = Request(head: HTTPRequest(method: method, scheme: "https", authority: "localhost", path: path))
        return try self.router.respondImmediately(to: request, context: makeContext())
    }

    @Test func aSynchronousFunctionIsAnsweredImmediatelyWithItsParameters() throws {
        #expect(try self.immediately(.get, "/now/42")?.text == "now id=42")
    }

    @Test func anAsynchronousFunctionIsLeftToTheTask() throws {
        #expect(try self.immediately(.get, "/later") == nil)
    }

    @Test func notFoundAndMethodNotAllowedNeedNoTask() throws {
        #expect(try self.immediately(.get, "/missing")?.status == .notFound)
        let refused = try #require(try self.immediately(.delete, "/now/1"))
        #expect(refused.status == .methodNotAllowed)
        #expect(refused.head.headerFields[.allow] == "GET, HEAD")
    }

    @Test func bothPathsGiveTheSameAnswer() async throws {
        let slow = try await send(self.router, .get, "/now/7")
        #expect(slow.text == "now id=7")
        #expect(try self.immediately(.get, "/now/7")?.text == slow.text)
    }
}
