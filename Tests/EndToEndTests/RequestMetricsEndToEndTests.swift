import Foundation
import GatehouseClient
import GatehouseConfiguration
import GatehouseRouting
import GatehouseTransport
import HTTPTypes
import NIOCore
import Prometheus
import ServiceLifecycle
import TestSupport
import Testing

/// `gatehouse_requests_total` and `gatehouse_request_duration_seconds` as a Prometheus registry shows them, after
/// real requests on both HTTP versions: allowed, refused, reported, without a certificate, unknown paths.
@Suite("Request metrics")
struct RequestMetricsEndToEndTests {
    static let yaml = """
        listeners:
          - name: public
            host: 127.0.0.1
            port: 0
            tls: { certificate: pki/server.crt, privateKey: pki/server.key }
            limits: { handshakeTimeout: 60s }
        policies:
          partners:
            trustedCAs: [pki/ca.crt]
          watching:
            trustedCAs: [pki/ca.crt]
            mode: report
        routes:
          - { path: /api/hello, function: hello, policy: partners }
          - { path: "/api/watched/{name}", function: hello, policy: watching }
          - { path: /healthz, function: health }
        """

    @Test func bothSeriesCountEveryOutcomeWithBoundedLabels() async throws {
        let folder = try ConfigurationFolder()
        let file = try folder.write(Self.yaml)
        let registry = PrometheusCollectorRegistry()
        let service = try GatehouseService(
            configurationFile: file,
            logger: TestServer.quietLogger,
            metricsFactory: PrometheusMetricsFactory(registry: registry)
        )
        let port = try await service.server.start().first?.port ?? 0
        let pki = folder.pki
        do {
            try await Self.makeRequests(port: port, pki: pki)
        } catch {
            await service.server.shutdown()
            throw error
        }
        await service.server.shutdown()
        let exposition = registry.emitToString()
        let samples = PrometheusSamples(exposition)
        for name in ["http/1.1", "h2"] {
            let labels = ["listener": "public", "protocol": name]
            #expect(
                samples.value(
                    "gatehouse_requests_total",
                    labels + ["route": "/api/hello", "method": "GET", "status": "200"]
                ) == 2
            )
            #expect(
                samples.value(
                    "gatehouse_requests_total",
                    labels + ["route": "/api/hello", "method": "GET", "status": "403"]
                ) == 2
            )
            #expect(
                samples.value(
                    "gatehouse_requests_total",
                    labels + ["route": "/api/watched/{name}", "method": "GET", "status": "200"]
                ) == 1
            )
            #expect(
                samples.value("gatehouse_requests_total", labels + ["route": "", "method": "GET", "status": "404"]) == 1
            )
            #expect(
                samples.value("gatehouse_requests_total", labels + ["route": "", "method": "DELETE", "status": "405"])
                    == 1
            )
            #expect(
                samples.value("gatehouse_requests_total", labels + ["route": "", "method": "OTHER", "status": "405"])
                    == 1
            )
            #expect(samples.value("gatehouse_request_duration_seconds_count", labels + ["route": "/api/hello"]) == 4)
            #expect(samples.value("gatehouse_request_duration_seconds_count", labels + ["route": ""]) == 3)
            #expect(
                samples.value(
                    "gatehouse_request_duration_seconds_bucket",
                    labels + ["route": "/api/hello", "le": "+Inf"]
                ) == 4
            )
        }
        #expect(!exposition.contains("/random/"), "never the raw path")
        #expect(!exposition.contains("BREW"), "unknown methods are OTHER")
    }

    /// A connection keeps the instruments of at most `ConnectionRequestMetrics.maxEntries` (16) label sets; the
    /// requests of others are counted through the shared cache, as exactly.
    @Test(arguments: [ClientConfiguration.HTTPVersionPreference.http1_1, .http2])
    func moreLabelSetsOnOneConnectionThanItKeepsAreAllCounted(
        _ version: ClientConfiguration.HTTPVersionPreference
    ) async throws {
        let folder = try ConfigurationFolder()
        let file = try folder.write(Self.yaml)
        let registry = PrometheusCollectorRegistry()
        let service = try GatehouseService(
            configurationFile: file,
            logger: TestServer.quietLogger,
            metricsFactory: PrometheusMetricsFactory(registry: registry)
        )
        let port = try await service.server.start().first?.port ?? 0
        let base = "https://127.0.0.1:\(port)"
        let partner = try Self.client(version, pki: folder.pki, identity: folder.pki.client)
        do {
            // 20 method tokens, each a label set of its own on the connection, all counted as OTHER.
            for index in 0..<20 {
                let method = HTTPRequest.Method("BREW\(index)")!
                #expect(try await partner.execute(method, base + "/healthz").head.status.code == 405)
                #expect(try await partner.execute(.get, base + "/api/hello").head.status.code == 200)
            }
        } catch {
            await partner.shutdown()
            await service.server.shutdown()
            throw error
        }
        await partner.shutdown()
        await service.server.shutdown()
        let samples = PrometheusSamples(registry.emitToString())
        let labels = ["listener": "public", "protocol": version == .http2 ? "h2" : "http/1.1"]
        #expect(samples.value("gatehouse_connections_total", ["listener": "public"]) == 1, "one connection")
        #expect(
            samples.value("gatehouse_requests_total", labels + ["route": "", "method": "OTHER", "status": "405"])
                == 20
        )
        #expect(
            samples.value(
                "gatehouse_requests_total",
                labels + ["route": "/api/hello", "method": "GET", "status": "200"]
            )
                == 20
        )
        #expect(samples.value("gatehouse_request_duration_seconds_count", labels + ["route": ""]) == 20)
        #expect(samples.value("gatehouse_request_duration_seconds_count", labels + ["route": "/api/hello"]) == 20)
    }

    /// With the access log too (connections record the metrics without a record, and the log gets the records):
    /// each request on one connection is counted and logged with its own route and decision, never the previous
    /// request's (a connection reuses the observation of a request answered at once).
    @Test(arguments: [ClientConfiguration.HTTPVersionPreference.http1_1, .http2])
    func withTheAccessLogEachRequestOnAConnectionHasItsOwnRouteAndDecision(
        _ version: ClientConfiguration.HTTPVersionPreference
    ) async throws {
        let folder = try ConfigurationFolder()
        let file = try folder.write(Self.yaml + "\naccessLog: { path: access.log }\n")
        let registry = PrometheusCollectorRegistry()
        let service = try GatehouseService(
            configurationFile: file,
            logger: TestServer.quietLogger,
            metricsFactory: PrometheusMetricsFactory(registry: registry)
        )
        let port = try await service.server.start().first?.port ?? 0
        let base = "https://127.0.0.1:\(port)"
        let partner = try Self.client(version, pki: folder.pki, identity: folder.pki.client)
        let lines: [[String: Any]]
        do {
            #expect(try await partner.execute(.get, base + "/api/hello").head.status.code == 200)
            #expect(try await partner.execute(.get, base + "/random/1").head.status.code == 404)
            #expect(try await partner.execute(.get, base + "/api/hello").head.status.code == 200)
            lines = try await AccessLogFile(path: folder.path + "/access.log").waitForLines(3)
        } catch {
            await partner.shutdown()
            await service.server.shutdown()
            throw error
        }
        await partner.shutdown()
        await service.server.shutdown()
        await service.accessLog?.close()
        #expect(lines.map { $0["path"] as? String } == ["/api/hello", "/random/1", "/api/hello"])
        #expect(lines.map { $0["decision"] as? String } == ["allowed", "none", "allowed"])
        #expect(lines.map { $0["policy"] as? String } == ["partners", nil, "partners"])
        #expect(lines.map { $0["reason"] as? String } == ["ok", nil, "ok"])
        let samples = PrometheusSamples(registry.emitToString())
        let labels = ["listener": "public", "protocol": version == .http2 ? "h2" : "http/1.1"]
        #expect(samples.value("gatehouse_connections_total", ["listener": "public"]) == 1, "one connection")
        #expect(
            samples.value(
                "gatehouse_requests_total",
                labels + ["route": "/api/hello", "method": "GET", "status": "200"]
            )
                == 2
        )
        #expect(
            samples.value("gatehouse_requests_total", labels + ["route": "", "method": "GET", "status": "404"]) == 1
        )
    }

    /// A function that suspends gets a task: with nothing but metrics observing, such a request is counted when its
    /// task's response is written, with the time it took.
    @Test(arguments: [ClientConfiguration.HTTPVersionPreference.http1_1, .http2])
    func aRequestAnsweredByATaskIsCountedWithItsDuration(_ version: ClientConfiguration.HTTPVersionPreference)
        async throws
    {
        struct Pause: Function {
            func respond(to request: Request, context: RequestContext) async throws -> Response {
                try await Task.sleep(for: .milliseconds(20))
                return .text("later")
            }
        }
        let folder = try ConfigurationFolder()
        let file = try folder.write(Self.yaml + "\n  - { path: /api/pause, function: pause, policy: partners }\n")
        var functions = FunctionRegistry.builtIn
        functions.register("pause", Pause())
        let registry = PrometheusCollectorRegistry()
        let service = try GatehouseService(
            configurationFile: file,
            functions: functions,
            logger: TestServer.quietLogger,
            metricsFactory: PrometheusMetricsFactory(registry: registry)
        )
        let port = try await service.server.start().first?.port ?? 0
        let partner = try Self.client(version, pki: folder.pki, identity: folder.pki.client)
        do {
            for _ in 0..<3 {
                #expect(try await partner.execute(.get, "https://127.0.0.1:\(port)/api/pause").bodyText == "later")
            }
        } catch {
            await partner.shutdown()
            await service.server.shutdown()
            throw error
        }
        await partner.shutdown()
        await service.server.shutdown()
        let samples = PrometheusSamples(registry.emitToString())
        let labels = ["listener": "public", "protocol": version == .http2 ? "h2" : "http/1.1", "route": "/api/pause"]
        #expect(samples.value("gatehouse_requests_total", labels + ["method": "GET", "status": "200"]) == 3)
        #expect(samples.value("gatehouse_request_duration_seconds_count", labels) == 3)
        let seconds = try #require(samples.value("gatehouse_request_duration_seconds_sum", labels))
        #expect(seconds >= 0.06, "the three pauses are in the durations: \(seconds)")
    }

    /// The requests the test counts, on each HTTP version.
    static func makeRequests(port: Int, pki: TestPKI) async throws {
        for version in [ClientConfiguration.HTTPVersionPreference.http1_1, .http2] {
            let partner = try Self.client(version, pki: pki, identity: pki.client)
            let stranger = try Self.client(version, pki: pki, identity: pki.strangerClient)
            let anonymous = try Self.client(version, pki: pki, identity: nil)
            let base = "https://127.0.0.1:\(port)"
            #expect(try await partner.execute(.get, base + "/api/hello").head.status.code == 200)
            #expect(try await partner.execute(.get, base + "/api/hello?name=b").head.status.code == 200)
            #expect(try await stranger.execute(.get, base + "/api/hello").head.status.code == 403)
            #expect(try await anonymous.execute(.get, base + "/api/hello").head.status.code == 403)
            #expect(try await stranger.execute(.get, base + "/api/watched/x").head.status.code == 200)
            #expect(try await partner.execute(.get, base + "/random/\(UUID())").head.status.code == 404)
            #expect(try await partner.execute(.delete, base + "/api/hello").head.status.code == 405)
            #expect(try await partner.execute(HTTPRequest.Method("BREW")!, base + "/healthz").head.status.code == 405)
            for client in [partner, stranger, anonymous] { await client.shutdown() }
        }
    }

    static func client(
        _ version: ClientConfiguration.HTTPVersionPreference,
        pki: TestPKI,
        identity: TestIdentity?
    ) throws -> HTTPClient {
        try HTTPClient(
            configuration: ClientConfiguration(
                identity: identity.map { .pem(certificateChainFile: $0.chainFile, privateKeyFile: $0.keyFile) },
                trustedCAFiles: [pki.rootCAFile],
                httpVersion: version
            )
        )
    }
}

/// Samples of a Prometheus text exposition, by name and labels.
struct PrometheusSamples {
    private var samples: [(name: String, labels: [String: String], value: Double)] = []

    init(_ text: String) {
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                continue
            }
            let series = line[..<space]
            guard let brace = series.firstIndex(of: "{") else {
                self.samples.append((String(series), [:], value))
                continue
            }
            self.samples.append(
                (String(series[..<brace]), Self.labels(series[series.index(after: brace)...].dropLast()), value)
            )
        }
    }

    /// `a="x",b="y"` as a dictionary (values hold no quotes or commas here).
    private static func labels(_ text: Substring) -> [String: String] {
        var labels: [String: String] = [:]
        var rest = text[...]
        while let equals = rest.firstIndex(of: "=") {
            let name = String(rest[..<equals]).trimmingCharacters(in: CharacterSet(charactersIn: ","))
            let afterQuote = rest.index(equals, offsetBy: 2)
            guard let closing = rest[afterQuote...].firstIndex(of: "\"") else { break }
            labels[name] = String(rest[afterQuote..<closing])
            rest = rest[rest.index(after: closing)...]
        }
        return labels
    }

    /// The value of the one sample named `name` with exactly `labels`; `nil` when there is none.
    func value(_ name: String, _ labels: [String: String]) -> Double? {
        self.samples.first { $0.name == name && $0.labels == labels }?.value
    }
}

extension Dictionary where Key == String, Value == String {
    static func + (lhs: Self, rhs: Self) -> Self { lhs.merging(rhs) { $1 } }
}
