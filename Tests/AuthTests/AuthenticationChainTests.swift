import GatehouseAuth
import GatehouseTransport
import HTTPTypes
import NIOCore
import Synchronization
import Testing

/// Answers a fixed result and counts how often it was asked.
private final class Scripted: Authenticator {
    let result: AuthenticationResult<String>
    let calls = Atomic<Int>(0)

    init(_ result: AuthenticationResult<String>) {
        self.result = result
    }

    func authenticate(_ request: Request, context: RequestContext) async throws -> AuthenticationResult<String> {
        self.calls.add(1, ordering: .relaxed)
        return self.result
    }

    var asked: Int { self.calls.load(ordering: .relaxed) }
}

/// Answers `<identities joined by ,> | <reported refusal or ->`.
private let echo = ClosureResponder { _, context in
    let identities = context.identities.map { "\($0)" }.joined(separator: ",")
    let reported = (context.reportedRefusal as? String) ?? "-"
    return .text("\(identities) | \(reported)")
}

private let challenge401 = AuthenticationRefusal.unauthorized(challenge: "ApiKey", reason: "missing_api_key")
private let challenge403 = AuthenticationRefusal.forbidden(reason: "no_credential")

@Suite("AuthenticationMiddleware runs its authenticators in order")
struct AuthenticationChainTests {
    private func run(_ middleware: [any Middleware]) async throws -> Response {
        try await middleware.chained(to: echo).respond(to: helloRequest, context: context(presenting: []))
    }

    @Test func theFirstThatAuthenticatesWinsAndTheRestAreNotAsked() async throws {
        let first = Scripted(.notApplicable(challenge: challenge401))
        let second = Scripted(.authenticated("token"))
        let third = Scripted(.authenticated("never"))
        let response = try await self.run([AuthenticationMiddleware(first, second, third)])
        #expect(response.text == "token | -")
        #expect((first.asked, second.asked, third.asked) == (1, 1, 0))
    }

    @Test func aRefusalEndsTheRequestWithItsResponse() async throws {
        let refusing = Scripted(.refused(.unauthorized(challenge: "ApiKey", reason: "invalid_api_key")))
        let after = Scripted(.authenticated("never"))
        let response = try await self.run([AuthenticationMiddleware(refusing, after)])
        #expect(response.status == .unauthorized)
        #expect(response.head.headerFields[.wwwAuthenticate] == "ApiKey")
        #expect(after.asked == 0)
    }

    @Test func whenNoneAppliesTheFirstChallengeIsTheAnswer() async throws {
        let response = try await self.run([
            AuthenticationMiddleware(
                Scripted(.notApplicable(challenge: challenge401)),
                Scripted(.notApplicable(challenge: challenge403))
            )
        ])
        #expect(response.status == .unauthorized)
        #expect(response.head.headerFields[.wwwAuthenticate] == "ApiKey")
        let forbidden = try await self.run([AuthenticationMiddleware(Scripted(.notApplicable(challenge: challenge403)))]
        )
        #expect(forbidden.status == .forbidden)
    }

    @Test func aReportedRefusalLetsTheRequestThroughWithoutAnIdentityUnlessAnotherAuthenticates() async throws {
        let reporting = AuthenticationRefusal(
            reason: "untrusted",
            response: .problem(status: .forbidden, title: "x"),
            reporting: "reported untrusted"
        )
        let alone = try await self.run([AuthenticationMiddleware(Scripted(.refused(reporting)))])
        #expect(alone.text == " | reported untrusted")
        let withAnother = try await self.run([
            AuthenticationMiddleware(Scripted(.refused(reporting)), Scripted(.authenticated("key")))
        ])
        #expect(withAnother.text == "key | reported untrusted")
    }

    /// Two middleware on a route: both must pass, and both identities sit in the context, in order.
    @Test func twoMiddlewareNeedBothAndKeepBothIdentities() async throws {
        let both = try await self.run([
            AuthenticationMiddleware(Scripted(.authenticated("certificate"))),
            AuthenticationMiddleware(Scripted(.authenticated("key"))),
        ])
        #expect(both.text == "certificate,key | -")
        let secondMissing = try await self.run([
            AuthenticationMiddleware(Scripted(.authenticated("certificate"))),
            AuthenticationMiddleware(Scripted(.notApplicable(challenge: challenge401))),
        ])
        #expect(secondMissing.status == .unauthorized)
    }

    /// A user's authenticator has no fast path: the middleware leaves such requests to the task, and the chain
    /// still answers them.
    @Test func aUsersAuthenticatorIsServedOnTheAsynchronousPath() async throws {
        let chain = [AuthenticationMiddleware(Scripted(.authenticated("someone"))) as any Middleware]
            .chainedWithFastPath(to: echo)
        #expect(try chain.respondImmediately(to: helloRequest, context: context(presenting: [])) == nil)
        #expect(try await chain.respond(to: helloRequest, context: context(presenting: [])).text == "someone | -")
    }
}

extension Response {
    fileprivate var text: String { String(buffer: self.body) }
}
