import HTTPTypes
import Logging
import NIOCore
import Synchronization
import Testing

@testable import GatehouseTransport

/// Answers `fast` without suspending.
private struct Immediate: ImmediateResponder {
    func respond(to request: Request, context: RequestContext) async throws -> Response { .text("fast") }
    func respondImmediately(to request: Request, context: RequestContext) throws -> Response? { .text("fast") }
}

/// Adds a header on both paths.
private struct Stamp: ImmediateMiddleware {
    func handle(_ request: Request, context: RequestContext, next: any Responder) async throws -> Response {
        Self.stamp(try await next.respond(to: request, context: context))
    }

    func handleImmediately(_ request: Request, context: RequestContext, next: any ImmediateResponder) throws
        -> Response?
    {
        try next.respondImmediately(to: request, context: context).map(Self.stamp)
    }

    private static func stamp(_ response: Response) -> Response {
        var response = response
        response.head.headerFields[.server] = "stamped"
        return response
    }
}

/// A user's middleware: only `handle`, the one requirement.
private struct AsyncOnly: Middleware {
    func handle(_ request: Request, context: RequestContext, next: any Responder) async throws -> Response {
        try await next.respond(to: request, context: context)
    }
}

/// Collects the messages logged through it.
private final class CollectingLogHandler: LogHandler, Sendable {
    let messages = Mutex<[String]>([])
    var metadata: Logger.Metadata {
        get { [:] }
        set {}
    }
    var logLevel: Logger.Level {
        get { .trace }
        set {}
    }
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { nil }
        set {}
    }
    func log(event: LogEvent) { self.messages.withLock { $0.append(event.message.description) } }
}

@Suite struct ResponderFastPathTests {
    private let request = Request(head: HTTPRequest(method: .get, scheme: "https", authority: "localhost", path: "/x"))

    private func context() -> RequestContext {
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

    @Test func aChainThatNeverSuspendsAnswersImmediately() throws {
        let chain = [Stamp() as any Middleware].chainedWithFastPath(to: Immediate())
        let response = try #require(try chain.respondImmediately(to: self.request, context: self.context()))
        #expect(String(buffer: response.body) == "fast")
        #expect(response.head.headerFields[.server] == "stamped")
    }

    @Test func anAsynchronousLinkAnywhereSendsTheRequestToTheTask() throws {
        let behindAsyncMiddleware = [Stamp() as any Middleware, AsyncOnly()].chainedWithFastPath(to: Immediate())
        #expect(try behindAsyncMiddleware.respondImmediately(to: self.request, context: self.context()) == nil)
        let asyncEnd = [Stamp() as any Middleware].chainedWithFastPath(to: ClosureResponder { _, _ in .text("later") })
        #expect(try asyncEnd.respondImmediately(to: self.request, context: self.context()) == nil)
    }

    @Test func theRequestLoggerLogsOnceOnEitherPathAndNotForAnUnansweredTry() async throws {
        let handler = CollectingLogHandler()
        let logger = Logger(label: "fast-path") { _ in handler }
        let answered = [RequestLogger(logger: logger) as any Middleware].chainedWithFastPath(to: Immediate())
        _ = try answered.respondImmediately(to: self.request, context: self.context())
        #expect(handler.messages.withLock { $0 } == ["GET /x 200"])

        let unanswered = [RequestLogger(logger: logger) as any Middleware].chainedWithFastPath(
            to: ClosureResponder { _, _ in .text("later") }
        )
        #expect(try unanswered.respondImmediately(to: self.request, context: self.context()) == nil)
        _ = try await unanswered.respond(to: self.request, context: self.context())
        #expect(handler.messages.withLock { $0 } == ["GET /x 200", "GET /x 200"])
    }

    /// A user's responder knows nothing of the fast path: the fast path declines and `respond` answers it.
    @Test func aUsersResponderIsAnsweredByItsOwnRequirement() async throws {
        let user = ClosureResponder { _, _ in .text("mine") }.withFastPath
        #expect(try user.respondImmediately(to: self.request, context: self.context()) == nil)
        #expect(String(buffer: try await user.respond(to: self.request, context: self.context()).body) == "mine")
        // A responder that has a fast path is not wrapped again.
        #expect(Immediate().withFastPath is Immediate)
    }
}
