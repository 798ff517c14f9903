import GatehouseAuth
import GatehouseClient
import GatehouseFunctions
import GatehouseRouting
import GatehouseTransport
import HTTPTypes
import Logging
import Synchronization
import TestSupport
import Testing

/// Counts the warnings logged through it.
private final class WarningCounter: LogHandler, Sendable {
    let count = Mutex(0)
    var metadata: Logger.Metadata {
        get { [:] }
        set {}
    }
    var logLevel: Logger.Level {
        get { .warning }
        set {}
    }
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { nil }
        set {}
    }
    func log(event: LogEvent) { self.count.withLock { $0 += 1 } }
}

@Suite("A connection keeps its decision in its own state over real sockets")
struct ConnectionDecisionEndToEndTests {
    /// A report-mode policy whose identity rule the test client fails: each decision logs one warning.
    @Test(arguments: [ClientConfiguration.HTTPVersionPreference.http1_1, .http2])
    func everyRequestOfAConnectionReusesItsDecision(
        httpVersion: ClientConfiguration.HTTPVersionPreference
    ) async throws {
        let pki = try PolicyTestPKI.shared()
        var configuration = PolicyConfiguration()
        configuration.trustedCAs = [pki.base.rootCAFile]
        configuration.identities = [IdentityConfiguration.commonNamed("somebody else")]
        configuration.mode = .report
        let policy = try ClientCertificatePolicy.load(configuration, name: "decisions", relativeTo: nil)
        let warnings = WarningCounter()
        let authenticator = ClientCertificateAuthenticator(
            policy: PolicyHandle(policy),
            logger: Logger(label: "decisions") { _ in warnings }
        )
        var routes = RouterBuilder()
        try routes.add("/api/hello", function: Hello(), middleware: [AuthenticationMiddleware(authenticator)])
        try await GatehouseTestServer.withServer(router: routes.build()) { server in
            let client = try server.client(httpVersion: httpVersion)
            for _ in 0..<4 {
                #expect(try await client.get("/api/hello").status.code == 200)
            }
        }
        #expect(warnings.count.withLock { $0 } == 1)
    }
}
