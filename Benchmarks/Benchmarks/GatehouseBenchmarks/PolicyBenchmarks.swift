import Benchmark
import Foundation
@_spi(Benchmarks) import GatehouseAuth
import GatehouseCertificates
import GatehouseTransport
import HTTPTypes
import Logging

/// The client-certificate decision: once per connection (first evaluation) and per request (cached path).
func registerPolicyBenchmarks() {
    // A request on a connection whose decision is already in its ConnectionStore: what every request but the
    // first on a connection pays.
    Benchmark("PolicyDecision.cachedPath", configuration: .kiloIterations) { benchmark in
        let fixture = try PolicyFixture.make(identities: 0)
        let context = fixture.context()
        let request = Request(
            head: HTTPRequest(
                method: .get,
                scheme: "https",
                authority: "127.0.0.1",
                path: "/api/hello?name=bench"
            )
        )
        guard case .authenticated = try await fixture.authenticator.authenticate(request, context: context) else {
            throw BenchmarkFailure("the first evaluation rejected the bench client")
        }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try await fixture.authenticator.authenticate(request, context: context))
        }
    }

    // The same decision the way requests reach it now: the chain's synchronous fast path
    // (the package-level `authenticateImmediately`, reached here through `authenticateOnFastPath`), with no async
    // call around it.
    Benchmark("PolicyDecision.cachedPath.immediate", configuration: .kiloIterations) { benchmark in
        let fixture = try PolicyFixture.make(identities: 0)
        let context = fixture.context()
        let request = Request(
            head: HTTPRequest(
                method: .get,
                scheme: "https",
                authority: "127.0.0.1",
                path: "/api/hello?name=bench"
            )
        )
        guard case .authenticated = try fixture.authenticator.authenticateOnFastPath(request, context: context) else {
            throw BenchmarkFailure("the first evaluation rejected the bench client")
        }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try fixture.authenticator.authenticateOnFastPath(request, context: context))
        }
    }

    for identities in [1, 10_000] {
        // A new connection's decision: chain verification against the trusted root, then the identity match
        // (the bench client is the last of `identities` common names).
        Benchmark("PolicyFirstEvaluation.\(identities)identit\(identities == 1 ? "y" : "ies")") { benchmark in
            let fixture = try PolicyFixture.make(identities: identities)
            let now = Date()
            guard case .accepted = fixture.policy.evaluate(chain: fixture.pki.clientChain, at: now) else {
                throw BenchmarkFailure("the policy rejected the bench client")
            }
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(fixture.policy.evaluate(chain: fixture.pki.clientChain, at: now))
            }
        }
    }
}

/// A policy trusting the bench root CA, and an authenticator applying it.
struct PolicyFixture {
    let pki: BenchPKI
    let policy: ClientCertificatePolicy
    let authenticator: ClientCertificateAuthenticator

    /// A policy whose `identities` lists `identities` common names, the bench client's last; none when 0.
    static func make(identities: Int) throws -> PolicyFixture {
        let pki = try BenchPKI.make()
        var configuration = PolicyConfiguration()
        configuration.trustedCAs = [pki.rootCAFile]
        configuration.identities = (0..<identities).map { index in
            var identity = IdentityConfiguration()
            identity.commonName = index == identities - 1 ? BenchPKI.clientName : "client-\(index)"
            return identity
        }
        let policy = try ClientCertificatePolicy.load(configuration, name: "bench", relativeTo: nil)
        let authenticator = ClientCertificateAuthenticator(
            policy: PolicyHandle(policy),
            logger: Logger(label: "bench")
        )
        return PolicyFixture(pki: pki, policy: policy, authenticator: authenticator)
    }

    /// The context of a request on a new mutual-TLS connection that presented the bench client's chain.
    func context() -> RequestContext {
        let tls = TLSSessionInfo(
            protocolVersion: "TLSv1.3",
            cipher: "TLS_AES_128_GCM_SHA256",
            alpn: "h2",
            peerCertificates: self.pki.clientChain,
            verifyResult: nil,
            isResumed: false
        )
        let connection = ConnectionInfo(id: 1, remoteAddress: nil, localAddress: nil, httpVersion: .http2, tls: tls)
        return RequestContext(connection: connection, connectionStore: ConnectionStore())
    }
}

/// A benchmark's setup found the code under test misbehaving.
struct BenchmarkFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
