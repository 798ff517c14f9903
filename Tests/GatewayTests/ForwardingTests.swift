import Foundation
import GatehouseCertificates
import GatehouseClient
import GatehouseGateway
import GatehouseTesting
import HTTPTypes
import NIOCore
import StructuredFieldValues
import TestSupport
import Testing

@Suite("The gateway forwards requests to its upstream")
struct ForwardingTests {
    @Test(arguments: ["[h2]", "[http/1.1]"])
    func requestIsForwardedWithoutHopByHopFields(protocols: String) async throws {
        try await withEchoUpstream { port in
            let configuration = gatewayConfiguration(
                url: "https://127.0.0.1:\(port)/base",
                upstream: "tls: { trustedCAs: [pki/ca.crt] }\nprotocols: \(protocols)"
            )
            try await withGateway(configuration) { gateway in
                let client = try gateway.client(httpVersion: .http1_1)
                let response = try await client.get(
                    "/orders/items/7?color=red&size=2",
                    headerFields: [
                        .connection: "keep-alive, x-drop-me",
                        HTTPField.Name("x-drop-me")!: "1",
                        HTTPField.Name("Keep-Alive")!: "timeout=5",
                        HTTPField.Name("Proxy-Connection")!: "keep-alive",
                        .proxyAuthorization: "Basic eDp5",
                        .te: "trailers",
                        HTTPField.Name("x-keep-me")!: "yes",
                        HTTPField.Name("X-Forwarded-For")!: "10.9.8.7",
                    ]
                )
                let seen = try echoed(response)
                #expect(seen.method == "GET")
                #expect(seen.path == "/base/items/7?color=red&size=2")
                #expect(seen.httpVersion == (protocols == "[h2]" ? "HTTP/2" : "HTTP/1.1"))
                #expect(seen.values("x-keep-me") == ["yes"])
                for dropped in [
                    "connection", "x-drop-me", "keep-alive", "proxy-connection", "proxy-authorization", "te",
                ] {
                    #expect(seen.values(dropped).isEmpty, "\(dropped) reached the upstream")
                }
                #expect(seen.values("X-Forwarded-For") == ["10.9.8.7, 127.0.0.1"])
                #expect(seen.values("X-Forwarded-Proto") == ["https"])
                #expect(
                    seen.values("Forwarded") == ["for=127.0.0.1;proto=https;host=\"127.0.0.1:\(gateway.port)\""]
                )
            }
        }
    }

    @Test func responseHopByHopFieldsStayWithTheUpstream() async throws {
        let raw = try await RawUpstream.start(
            reply: "HTTP/1.1 201 Created\r\nContent-Length: 2\r\nConnection: x-hop\r\nX-Hop: 1\r\n"
                + "Keep-Alive: timeout=5\r\nX-End: yes\r\n\r\nok"
        )
        try await withGateway(gatewayConfiguration(url: "http://127.0.0.1:\(raw.port)")) { gateway in
            let response = try await gateway.client(httpVersion: .http1_1).get("/open/x")
            #expect(response.status.code == 201 && response.bodyText == "ok")
            #expect(response.head.headerFields[HTTPField.Name("X-End")!] == "yes")
            #expect(response.head.headerFields[HTTPField.Name("X-Hop")!] == nil)
            #expect(response.head.headerFields[HTTPField.Name("Keep-Alive")!] == nil)
        }
        await raw.stop()
    }

    @Test func stripPrefixLeavesOtherPathsAlone() async throws {
        try await withEchoUpstream { port in
            let configuration = gatewayConfiguration(
                url: "https://127.0.0.1:\(port)",
                upstream: "tls: { trustedCAs: [pki/ca.crt] }"
            )
            try await withGateway(configuration) { gateway in
                let client = try gateway.client()
                #expect(try echoed(try await client.get("/orders")).path == "/")
                #expect(try echoed(try await client.get("/orders/?q=1")).path == "/?q=1")
                #expect(try echoed(try await client.get("/open/a/b")).path == "/open/a/b")
                let posted = try echoed(
                    try await client.post("/orders/new", body: String(repeating: "z", count: 70_000))
                )
                #expect(posted.method == "POST" && posted.bodyLength == 70_000)
            }
        }
    }

    @Test func rfc9440CarriesThePolicyCheckedCertificateAndSpoofedFieldsAreDropped() async throws {
        let pki = try TestPKI.shared()
        try await withEchoUpstream { port in
            let configuration = gatewayConfiguration(
                url: "https://127.0.0.1:\(port)",
                upstream: "tls: { trustedCAs: [pki/ca.crt] }\nforwardClientCertificate: rfc9440"
            )
            try await withGateway(configuration) { gateway in
                let client = try gateway.client()
                let spoofed: HTTPFields = [
                    ForwardedCertificateFields.clientCert: ":AAAA:",
                    ForwardedCertificateFields.clientCertChain: ":AAAA:",
                    ForwardedCertificateFields.xForwardedClientCert: "Hash=00;Subject=\"CN=admin\"",
                ]
                let seen = try echoed(try await client.get("/orders/x", headerFields: spoofed))
                let leafField = try #require(seen.values("Client-Cert").first)
                #expect(seen.values("Client-Cert").count == 1)
                #expect(seen.values("X-Forwarded-Client-Cert").isEmpty)
                let leaf = try StructuredFieldValueDecoder().decode(BinaryItem.self, from: Array(leafField.utf8))
                #expect(Array(leaf.item) == pki.client.certificate.derBytes)
                let chainField = try #require(seen.values("Client-Cert-Chain").first)
                let chain = try StructuredFieldValueDecoder().decode(BinaryList.self, from: Array(chainField.utf8))
                #expect(chain.items.map { Array($0) } == pki.client.chain.dropFirst().map(\.derBytes))

                // Without a policy on the route there is no checked identity: nothing is forwarded, spoofs dropped.
                let open = try echoed(try await client.get("/open/x", headerFields: spoofed))
                #expect(open.values("Client-Cert").isEmpty && open.values("Client-Cert-Chain").isEmpty)
                #expect(open.values("X-Forwarded-Client-Cert").isEmpty)
            }
        }
    }

    @Test func xfccCarriesHashCertAndSubject() async throws {
        let pki = try TestPKI.shared()
        try await withEchoUpstream { port in
            let configuration = gatewayConfiguration(
                url: "https://127.0.0.1:\(port)",
                upstream: "tls: { trustedCAs: [pki/ca.crt] }\nforwardClientCertificate: xfcc"
            )
            try await withGateway(configuration) { gateway in
                let client = try gateway.client()
                let seen = try echoed(
                    try await client.get(
                        "/orders/x",
                        headerFields: [ForwardedCertificateFields.xForwardedClientCert: "Hash=00"]
                    )
                )
                let xfcc = try #require(seen.values("X-Forwarded-Client-Cert").first)
                #expect(seen.values("X-Forwarded-Client-Cert").count == 1)
                #expect(seen.values("Client-Cert").isEmpty)
                let pairs = xfccPairs(xfcc)
                let certificate = pki.client.certificate
                #expect(pairs["Hash"] == certificate.sha256.map { String(format: "%02x", $0) }.joined())
                #expect(pairs["Subject"] == certificate.subject)
                let pem = try #require(pairs["Cert"]?.removingPercentEncoding)
                #expect(try Certificate.parsePEM(Array(pem.utf8)).first == certificate)
            }
        }
    }

    @Test func upstreamSeesTheGatewaysCertificateAndServerNameIsChecked() async throws {
        let pki = try TestPKI.shared()
        let gatewayIdentity = pki.rootClient
        try await withEchoUpstream { port in
            let tls = """
                tls: { trustedCAs: [pki/ca.crt], certificate: \(gatewayIdentity.chainFile), \
                privateKey: \(gatewayIdentity.keyFile), serverName: localhost }
                """
            try await withGateway(gatewayConfiguration(url: "https://127.0.0.1:\(port)", upstream: tls)) { gateway in
                let seen = try echoed(try await gateway.client().get("/open/x"))
                #expect(seen.peerSubject == gatewayIdentity.certificate.subject)
            }
            let wrongName = "tls: { trustedCAs: [pki/ca.crt], serverName: orders.internal }"
            try await withGateway(gatewayConfiguration(url: "https://127.0.0.1:\(port)", upstream: wrongName)) {
                let response = try await $0.client().get("/open/x")
                #expect(response.status == .badGateway)
                #expect(response.head.headerFields[.contentType] == "application/problem+json")
            }
        }
    }
}

/// RFC 9440 `Client-Cert`, decoded.
struct BinaryItem: StructuredFieldValue {
    static let structuredFieldType = StructuredFieldType.item
    var item: Data
    var parameters: [String: Bool] = [:]
}

/// RFC 9440 `Client-Cert-Chain`, decoded.
struct BinaryList: StructuredFieldValue {
    static let structuredFieldType = StructuredFieldType.list
    var items: [Data]
}

/// The key/value pairs of one XFCC element (quoted values unquoted); a key seen twice keeps its first value.
func xfccPairs(_ text: String) -> [String: String] {
    var pairs: [String: String] = [:]
    var rest = Substring(text)
    while !rest.isEmpty {
        guard let equals = rest.firstIndex(of: "=") else { break }
        let key = String(rest[..<equals])
        rest = rest[rest.index(after: equals)...]
        var value = ""
        if rest.first == "\"" {
            rest = rest.dropFirst()
            while let character = rest.first, character != "\"" {
                if character == "\\" { rest = rest.dropFirst() }
                if let next = rest.first { value.append(next) }
                rest = rest.dropFirst()
            }
            rest = rest.dropFirst()
        } else {
            value = String(rest.prefix { $0 != ";" })
            rest = rest.dropFirst(value.count)
        }
        if rest.first == ";" { rest = rest.dropFirst() }
        if pairs[key] == nil { pairs[key] = value }
    }
    return pairs
}
