import Foundation
import GatehouseAuth
import GatehouseCertificates
import GatehouseClient
import GatehouseConfiguration
import HTTPTypes
import Logging
import TestSupport
import Testing

/// A listener behind a TLS-terminating proxy (`trustForwardedClientCertificate`) over real sockets: a client whose
/// certificate passes `edge-proxies` forwards other clients' certificates in RFC 9440 or XFCC headers, and the
/// route's policy judges them as if presented directly; anyone else's forwarded-certificate headers are removed.
@Suite("Behind a TLS-terminating proxy")
struct ForwardedClientCertificateEndToEndTests {
    static func yaml(header: ForwardedCertificateHeader) -> String {
        """
        listeners:
          - name: behind-lb
            host: 127.0.0.1
            port: 0
            tls: { certificate: pki/server.crt, privateKey: pki/server.key, clientCertificate: request }
            limits: { handshakeTimeout: 60s }
            trustForwardedClientCertificate: { header: \(header.rawValue), fromPolicy: edge-proxies }
        policies:
          edge-proxies:
            trustedCAs: [pki/ca.crt]
            identities: [{ commonName: edge-proxy }]
          partners:
            trustedCAs: [pki/ca.crt]
            exposeFailureReason: true
        routes:
          - { path: /api/hello, function: hello, policy: partners }
          - { path: /api/whoami, function: whoami, policy: partners }
          - { path: /headers, function: headers }
        accessLog: { path: access.log, format: json }
        """
    }

    static var functions: FunctionRegistry {
        var functions = FunctionRegistry.builtIn
        functions.register("headers", ForwardedHeaderProbe())
        return functions
    }

    static let versions: [ClientConfiguration.HTTPVersionPreference] = [.http1_1, .http2]
    static let formats = ForwardedCertificateHeader.allCases

    func withServer(
        _ header: ForwardedCertificateHeader,
        logger: Logger = GatehouseTestServer.silentLogger,
        _ body: (GatehouseTestServer) async throws -> Void
    ) async throws {
        try await GatehouseTestServer.withServer(
            configuration: Self.yaml(header: header),
            functions: Self.functions,
            logger: logger,
            body
        )
    }

    func json(_ response: ClientResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(response.bodyText.utf8)) as? [String: Any])
    }

    /// The reason code of a 403 whose policy exposes it: `expired` of `expired: notAfter was …`.
    func reason(_ response: ClientResponse) throws -> String? {
        (try self.json(response)["detail"] as? String)?.split(separator: ":").first.map(String.init)
    }

    @Test(arguments: Self.formats, Self.versions)
    func theRoutesPolicyJudgesTheForwardedCertificateAndWhoamiShowsIt(
        _ header: ForwardedCertificateHeader,
        _ version: ClientConfiguration.HTTPVersionPreference
    ) async throws {
        try await self.withServer(header) { server in
            let proxy = try server.client(.client("edge-proxy"), httpVersion: version)
            let alice = try server.pki.client(named: "fwd-alice")
            let fields = ForwardedCertificateHeaders.fields(header, chain: alice.chain)

            let hello = try await proxy.get("/api/hello?name=x", headerFields: fields)
            #expect(hello.status.code == 200, "\(hello.bodyText)")
            let whoami = try await proxy.get("/api/whoami", headerFields: fields)
            #expect(whoami.status.code == 200, "\(whoami.bodyText)")
            let json = try self.json(whoami)
            #expect(json["subject"] as? String == alice.certificate.subject)
            #expect(json["sha256"] as? String == alice.certificate.sha256.hexString)
            #expect(json["verified"] as? Bool == true)
            let forwarded = try #require(json["forwarded"] as? [String: Any], "\(json)")
            #expect(forwarded["header"] as? String == header.rawValue)
            let by = try #require(forwarded["by"] as? [String: Any])
            let proxySubject = try server.pki.client(named: "edge-proxy").certificate.subject
            #expect(by["subject"] as? String == proxySubject)

            // Read, then removed before the function: nothing downstream sees the raw header.
            let probe = try await proxy.get("/headers", headerFields: fields)
            #expect(probe.status.code == 200)
            #expect(probe.bodyText == "", "\(probe.bodyText)")

            let file = try #require(server.directory) + "/access.log"
            let lines = try await AccessLogFile(path: file).waitForLines(3)
            let line = try #require(lines.first { $0["path"] as? String == "/api/whoami" })
            #expect(line["client_subject"] as? String == alice.certificate.subject)
            #expect(line["client_sha256"] as? String == alice.certificate.sha256.hexString)
            #expect(line["decision"] as? String == "allowed")
            #expect(line["policy"] as? String == "partners")
        }
    }

    @Test(arguments: Self.formats)
    func aForwardedCertificateIsRefusedForTheReasonItWouldBeRefusedDirectly(
        _ header: ForwardedCertificateHeader
    ) async throws {
        let log = CapturedLog()
        try await self.withServer(header, logger: log.logger) { server in
            let proxy = try server.client(.client("edge-proxy"))
            for (certificate, expected) in [(TestClientCertificate.expired, "expired"), (.untrusted, "untrusted")] {
                let identity = try #require(try certificate.identity(in: server.pki))
                let direct = try await server.client(certificate).get("/api/hello")
                #expect(direct.status.code == 403)
                #expect(try self.reason(direct) == expected, "\(direct.bodyText)")

                let fields = ForwardedCertificateHeaders.fields(header, chain: identity.chain)
                let forwarded = try await proxy.get("/api/hello", headerFields: fields)
                #expect(forwarded.status.code == 403)
                #expect(try self.json(forwarded)["title"] as? String == "Invalid client certificate")
                #expect(try self.reason(forwarded) == expected, "\(forwarded.bodyText)")
                let logged = log.lines(
                    containing: "client certificate rejected",
                    "reason=\(expected)",
                    identity.certificate.sha256.hexString,
                    "forwardedBy="
                )
                #expect(!logged.isEmpty, "\(log.lines)")
            }
        }
    }

    @Test(arguments: Self.versions)
    func aForgedHeaderFromAnyoneButTheProxyChangesNothing(_ version: ClientConfiguration.HTTPVersionPreference)
        async throws
    {
        try await self.withServer(.rfc9440) { server in
            let alice = try server.pki.client(named: "fwd-alice")
            // Every format is removed, whichever one the listener reads.
            var forged = ForwardedCertificateHeaders.fields(.rfc9440, chain: alice.chain)
            forged.append(contentsOf: ForwardedCertificateHeaders.fields(.xfcc, chain: alice.chain))

            let mallory = try server.client(.client("mallory"), httpVersion: version)
            let whoami = try await mallory.get("/api/whoami", headerFields: forged)
            #expect(whoami.status.code == 200)
            let json = try self.json(whoami)
            #expect(json["subject"] as? String == (try server.pki.client(named: "mallory").certificate.subject))
            #expect(json["forwarded"] == nil)
            let probe = try await mallory.get("/headers", headerFields: forged)
            #expect(probe.bodyText == "", "the forged headers reached the function: \(probe.bodyText)")

            let stranger = try await server.client(.untrusted, httpVersion: version).get(
                "/api/hello",
                headerFields: forged
            )
            #expect(stranger.status.code == 403)
            #expect(try self.reason(stranger) == "untrusted", "\(stranger.bodyText)")
            let anonymous = try await server.client(.none, httpVersion: version).get("/api/hello", headerFields: forged)
            #expect(anonymous.status.code == 403)
            #expect(try self.reason(anonymous) == "no_certificate", "\(anonymous.bodyText)")
        }
    }

    @Test(arguments: Self.versions)
    func aTrustedProxyThatForwardsNoCertificateLeavesTheRequestWithout(
        _ version: ClientConfiguration.HTTPVersionPreference
    ) async throws {
        try await self.withServer(.xfcc) { server in
            let proxy = try server.client(.client("edge-proxy"), httpVersion: version)
            // The proxy's own certificate passes `partners`, but it is not the client's identity.
            let response = try await proxy.get("/api/whoami")
            #expect(response.status.code == 403)
            #expect(try self.reason(response) == "no_certificate", "\(response.bodyText)")
            // Another format than the listener's is not believed either (and removed).
            let alice = try server.pki.client(named: "fwd-alice")
            let other = try await proxy.get(
                "/api/whoami",
                headerFields: ForwardedCertificateHeaders.fields(.rfc9440, chain: alice.chain)
            )
            #expect(other.status.code == 403)
            #expect(try self.reason(other) == "no_certificate", "\(other.bodyText)")
        }
    }

    @Test func aReloadThatAddsTheKeyStartsBelievingTheProxy() async throws {
        let without = Self.yaml(header: .rfc9440).replacingOccurrences(
            of: "    trustForwardedClientCertificate: { header: rfc9440, fromPolicy: edge-proxies }\n",
            with: ""
        )
        try await GatehouseTestServer.withServer(configuration: without, functions: Self.functions) { server in
            let directory = try #require(server.directory)
            let service = try #require(server.service)
            let proxy = try server.client(.client("edge-proxy"))
            let alice = try server.pki.client(named: "fwd-alice")
            let fields = ForwardedCertificateHeaders.fields(.rfc9440, chain: alice.chain)
            // Not trusted yet: the proxy is just another client, judged by its own certificate.
            let before = try self.json(try await proxy.get("/api/whoami", headerFields: fields))
            #expect(before["subject"] as? String == (try server.pki.client(named: "edge-proxy").certificate.subject))

            try Self.yaml(header: .rfc9440).write(
                toFile: directory + "/gatehouse.yaml",
                atomically: true,
                encoding: .utf8
            )
            #expect(await service.reload(reason: "test"))
            let after = try self.json(try await proxy.get("/api/whoami", headerFields: fields))
            #expect(after["subject"] as? String == alice.certificate.subject, "\(after)")
        }
    }

    @Test func xfccBelievesTheLastElementTheProxyAppended() async throws {
        try await self.withServer(.xfcc) { server in
            let proxy = try server.client(.client("edge-proxy"), httpVersion: .http2)
            let mallory = try server.pki.client(named: "mallory")
            let alice = try server.pki.client(named: "fwd-alice")
            let value =
                ForwardedCertificateHeaders.xfccElement(mallory.chain) + ","
                + ForwardedCertificateHeaders.xfccElement(alice.chain)
            let response = try await proxy.get("/api/whoami", headerFields: [.init("X-Forwarded-Client-Cert")!: value])
            #expect(response.status.code == 200, "\(response.bodyText)")
            #expect(try self.json(response)["subject"] as? String == alice.certificate.subject)
        }
    }

    /// Headers a trusted proxy might send that cannot be read, with a fragment of the 400's detail.
    static let malformed: [(ForwardedCertificateHeader, [String: String], String)] = [
        (.rfc9440, ["Client-Cert": "MIIB"], "Client-Cert: not one sf-binary item"),
        (.rfc9440, ["Client-Cert": ":AAAA:"], "Client-Cert: not a DER-encoded X.509 certificate"),
        (.rfc9440, ["Client-Cert": ":AAAA:, :AAAA:"], "Client-Cert: not one sf-binary item"),
        (.rfc9440, ["Client-Cert-Chain": ":AAAA:"], "Client-Cert-Chain without Client-Cert"),
        (.xfcc, ["X-Forwarded-Client-Cert": "Hash=abc;Subject=\"CN=x"], "unterminated quoted value"),
        (.xfcc, ["X-Forwarded-Client-Cert": "Hash=abc;Subject=\"CN=x\""], "the last element has no Cert"),
        (.xfcc, ["X-Forwarded-Client-Cert": "Cert=\"%ZZ\""], "Cert has a % not followed by two hex digits"),
        (.xfcc, ["X-Forwarded-Client-Cert": "Cert=\"not pem\""], "Cert is not URL-encoded PEM certificates"),
        (.xfcc, ["X-Forwarded-Client-Cert": "Cert=a;Cert=b"], "cert given twice"),
        (.xfcc, ["X-Forwarded-Client-Cert": ",Cert=a"], "expected Key=value"),
    ]

    @Test(arguments: Self.versions)
    func aTrustedProxysUnreadableHeaderIs400WithTheReason(_ version: ClientConfiguration.HTTPVersionPreference)
        async throws
    {
        for header in Self.formats {
            try await self.withServer(header) { server in
                let proxy = try server.client(.client("edge-proxy"), httpVersion: version)
                for (format, values, detail) in Self.malformed where format == header {
                    var fields = HTTPFields()
                    for (name, value) in values { fields[HTTPField.Name(name)!] = value }
                    let response = try await proxy.get("/api/hello", headerFields: fields)
                    #expect(response.status.code == 400, "\(values): \(response.bodyText)")
                    #expect(response.head.headerFields[.contentType] == "application/problem+json")
                    let json = try self.json(response)
                    #expect(json["title"] as? String == "Invalid forwarded client certificate")
                    #expect((json["detail"] as? String)?.contains(detail) == true, "\(values): \(json)")
                }
                // The connection still serves the next request.
                let alice = try server.pki.client(named: "fwd-alice")
                let fields = ForwardedCertificateHeaders.fields(header, chain: alice.chain)
                #expect(try await proxy.get("/api/hello", headerFields: fields).status.code == 200)
            }
        }
    }

    @Test(arguments: Self.formats)
    func aChainOfMoreThanEightCertificatesIsRefused(_ header: ForwardedCertificateHeader) async throws {
        try await self.withServer(header) { server in
            let proxy = try server.client(.client("edge-proxy"))
            let alice = try server.pki.client(named: "fwd-alice")
            let eight = [alice.certificate] + Array(repeating: server.pki.intermediateCA, count: 7)
            let nine = eight + [server.pki.rootCA]
            let fine = try await proxy.get(
                "/api/hello",
                headerFields: ForwardedCertificateHeaders.fields(header, chain: eight)
            )
            #expect(fine.status.code == 200, "\(fine.bodyText)")
            let response = try await proxy.get(
                "/api/hello",
                headerFields: ForwardedCertificateHeaders.fields(header, chain: nine)
            )
            #expect(response.status.code == 400)
            #expect(
                (try self.json(response)["detail"] as? String)?.contains("9 certificates, at most 8") == true,
                "\(response.bodyText)"
            )
        }
    }
}
