import Foundation
import GatehouseClient
import GatehouseConfiguration
import GatehouseGateway
import HTTPTypes
import TestSupport
import Testing

@Suite("upstreams: and upstream routes in the configuration file")
struct UpstreamConfigurationTests {
    /// Writes `yaml` beside copies of the test PKI's files and returns the file's path.
    private func write(_ yaml: String) throws -> String {
        let pki = try TestPKI.shared()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gateway-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: directory + "/pki", withIntermediateDirectories: true)
        for (source, name) in [
            (pki.server.chainFile, "server.crt"), (pki.server.keyFile, "server.key"), (pki.rootCAFile, "ca.crt"),
            (pki.client.chainFile, "gw.crt"), (pki.client.keyFile, "gw.key"),
        ] {
            try FileManager.default.copyItem(atPath: source, toPath: directory + "/pki/" + name)
        }
        let file = directory + "/gatehouse.yaml"
        try yaml.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    private func configuration(upstream: String, route: String) -> String {
        """
        listeners:
          - { host: 127.0.0.1, port: 8443, tls: { certificate: pki/server.crt, privateKey: pki/server.key } }
        policies:
          partners: { trustedCAs: [pki/ca.crt] }
        upstreams:
          orders:
        \(upstream.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
        routes:
          \(route)
        """
    }

    private let loader = ConfigurationLoader(functionNames: ["hello", "health", "whoami"])

    @Test func theIssuesExampleIsRead() throws {
        let file = try self.write(
            self.configuration(
                upstream: """
                    url: https://127.0.0.1:9000/api/
                    tls: { trustedCAs: [pki/ca.crt], certificate: pki/gw.crt, privateKey: pki/gw.key, serverName: orders.internal }
                    protocols: [h2, http/1.1]
                    connectTimeout: 2s
                    responseTimeout: 30s
                    maxConnections: 64
                    maxWaitingRequests: 100
                    forwardClientCertificate: rfc9440
                    maxResponseBodySize: 8MiB
                    """,
                route: "- { path: /orders/*, upstream: orders, policy: partners, stripPrefix: /orders }"
            )
        )
        let configuration = try self.loader.load(file: file)
        let upstream = try #require(configuration.upstreams.first)
        #expect(upstream.name == "orders")
        #expect(upstream.url.description == "https://127.0.0.1:9000/api")
        #expect(upstream.tls.serverName == "orders.internal")
        #expect(upstream.tls.certificate?.hasSuffix("/pki/gw.crt") == true)
        #expect(upstream.connectTimeout == .seconds(2) && upstream.responseTimeout == .seconds(30))
        #expect(upstream.maxConnections == 64 && upstream.maxResponseBodySize == 8 << 20)
        #expect(upstream.maxWaitingRequests == 100 && upstream.clientConfiguration.maxWaitingRequestsPerOrigin == 100)
        #expect(upstream.forwardClientCertificate == .rfc9440)
        #expect(configuration.routes.first?.upstream == "orders")
        #expect(configuration.routes.first?.stripPrefix == "/orders")

        let report = try ConfigurationCheck().check(configurationFile: file)
        #expect(report.text.contains("→ policy partners → upstream orders (https://127.0.0.1:9000/api)"))
    }

    @Test func defaultsAreConservative() throws {
        let file = try self.write(
            self.configuration(upstream: "url: http://127.0.0.1:9000", route: "- { path: /o/*, upstream: orders }")
        )
        let upstream = try #require(try self.loader.load(file: file).upstreams.first)
        #expect(upstream.forwardClientCertificate == .none)
        #expect(upstream.connectTimeout == .seconds(5) && upstream.responseTimeout == .seconds(30))
        #expect(upstream.maxConnections == 64 && upstream.maxResponseBodySize == nil)
        #expect(upstream.maxWaitingRequests == 1_024)
    }

    @Test(arguments: [
        (
            "url: https://127.0.0.1:9000", "- { path: /o/*, upstream: order }",
            "routes[0].upstream: unknown upstream 'order' (defined: orders)"
        ),
        (
            "url: https://127.0.0.1:9000", "- { path: /o/*, upstream: orders, function: hello }",
            "routes[0].upstream: a route names a function or an upstream, not both"
        ),
        (
            "url: ftp://127.0.0.1:9000", "- { path: /o/*, upstream: orders }",
            "upstreams.orders.url: 'ftp://127.0.0.1:9000': the scheme must be https or http, not ftp"
        ),
        (
            "url: https://127.0.0.1:99999", "- { path: /o/*, upstream: orders }",
            "upstreams.orders.url: 'https://127.0.0.1:99999': '127.0.0.1:99999' is not a host with an optional port"
        ),
        (
            "url: http://127.0.0.1:9000\ntls: { serverName: x }", "- { path: /o/*, upstream: orders }",
            "upstreams.orders.tls: tls applies to https upstreams only"
        ),
        (
            "url: https://127.0.0.1:9000\nforwardClientCertificate: pem", "- { path: /o/*, upstream: orders }",
            "upstreams.orders.forwardClientCertificate: 'pem' is not one of rfc9440 | xfcc | none"
        ),
        (
            "url: https://127.0.0.1:9000\nmaxWaitingRequests: -1", "- { path: /o/*, upstream: orders }",
            "upstreams.orders.maxWaitingRequests: must be between 0 and 1000000"
        ),
        (
            "url: https://127.0.0.1:9000\nretries: 3", "- { path: /o/*, upstream: orders }",
            "upstreams.orders.retries"
        ),
        (
            "url: https://127.0.0.1:9000", "- { path: /o/*, function: hello, stripPrefix: /o }",
            "routes[0].stripPrefix: stripPrefix applies to upstream routes only"
        ),
    ])
    func mistakesNameTheFileLineAndKey(upstream: String, route: String, expected: String) throws {
        let file = try self.write(self.configuration(upstream: upstream, route: route))
        let error = try #require(throws: ConfigurationError.self) { try self.loader.load(file: file) }
        #expect(error.description.contains(expected), "\(error)")
        #expect(error.description.hasPrefix(file + ":"), "\(error)")
        #expect(error.line != nil)
    }
}

@Suite("Forwarding header rules")
struct ForwardingHeaderTests {
    @Test func forwardedQuotesIPv6AndHostsWithPorts() {
        var fields = HTTPFieldsFixture.make(["Forwarded": "for=192.0.2.60;proto=http"])
        ForwardingHeaders.addForwarding(
            to: &fields,
            clientAddress: "2001:db8::1",
            proto: "https",
            host: "api.example:8443"
        )
        #expect(
            fields[ForwardingHeaders.forwarded]
                == "for=192.0.2.60;proto=http, for=\"[2001:db8::1]\";proto=https;host=\"api.example:8443\""
        )
        #expect(fields[ForwardingHeaders.xForwardedFor] == "2001:db8::1")
        #expect(fields[ForwardingHeaders.xForwardedProto] == "https")
    }

    @Test func forwardingAppendsToExistingListsAndEscapesQuotedHosts() {
        var fields = HTTPFieldsFixture.make(["X-Forwarded-For": "192.0.2.60", "X-Forwarded-Proto": "http"])
        ForwardingHeaders.addForwarding(to: &fields, clientAddress: "192.0.2.61", proto: "https", host: #"a"b\c"#)
        #expect(fields[ForwardingHeaders.forwarded] == #"for=192.0.2.61;proto=https;host="a\"b\\c""#)
        #expect(fields[values: ForwardingHeaders.xForwardedFor] == ["192.0.2.60, 192.0.2.61"])
        #expect(fields[values: ForwardingHeaders.xForwardedProto] == ["https"])
        ForwardingHeaders.addForwarding(to: &fields, clientAddress: nil, proto: "http", host: "api.example")
        #expect(
            fields[ForwardingHeaders.forwarded]
                == #"for=192.0.2.61;proto=https;host="a\"b\\c", for=unknown;proto=http;host=api.example"#
        )
    }

    @Test func endToEndDropsHopByHopAndConnectionNamedFields() {
        let fields = HTTPFields([
            HTTPField(name: .connection, value: "keep-alive , X-Hop,\tx-other "),
            HTTPField(name: HTTPField.Name("Keep-Alive")!, value: "timeout=5"),
            HTTPField(name: HTTPField.Name("X-Hop")!, value: "1"),
            HTTPField(name: HTTPField.Name("X-Other")!, value: "2"),
            HTTPField(name: .transferEncoding, value: "chunked"),
            HTTPField(name: HTTPField.Name("X-Kept")!, value: "3"),
            HTTPField(name: HTTPField.Name("X-Removed")!, value: "4"),
            HTTPField(name: .contentType, value: "text/plain"),
        ])
        let kept = ForwardingHeaders.endToEnd(fields, removing: [HTTPField.Name("x-removed")!])
        #expect(kept.map(\.name.canonicalName) == ["x-kept", "content-type"])
        let clean = HTTPFields([HTTPField(name: .contentType, value: "text/plain")])
        #expect(ForwardingHeaders.endToEnd(clean, removing: [HTTPField.Name("x-removed")!]) == clean)
    }

    @Test func upstreamURLsAreNormalised() throws {
        #expect(try UpstreamURL("HTTPS://orders.internal:9000/v1/").description == "https://orders.internal:9000/v1")
        #expect(try UpstreamURL("http://[::1]:8080").authority == "[::1]:8080")
        #expect(throws: UpstreamURLError.self) { try UpstreamURL("https://h/x?y=1") }
        #expect(throws: UpstreamURLError.self) { try UpstreamURL("https://user@h/") }
        #expect(throws: UpstreamURLError.self) { try UpstreamURL("orders.internal:9000") }
    }
}
