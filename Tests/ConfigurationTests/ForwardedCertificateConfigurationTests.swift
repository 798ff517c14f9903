import Foundation
import GatehouseAuth
import GatehouseConfiguration
import Testing

/// `trustForwardedClientCertificate` on a listener: read strictly, errors naming file, line and key, and shown by
/// `gatehouse check`.
@Suite struct ForwardedCertificateConfigurationTests {
    static func yaml(trust: String, clientCertificate: String = "request") -> String {
        """
        listeners:
          - name: behind-lb
            host: 127.0.0.1
            port: 8443
            tls: { certificate: pki/server.crt, privateKey: pki/server.key, clientCertificate: \(clientCertificate) }
            trustForwardedClientCertificate: \(trust)
          - host: 127.0.0.1
            port: 9443
            tls: { certificate: pki/server.crt, privateKey: pki/server.key }
        policies:
          edge-proxies: { trustedCAs: [pki/ca.crt], identities: [{ commonName: edge-proxy }] }
          partners: { trustedCAs: [pki/ca.crt] }
        routes:
          - { path: /api/hello, function: hello, policy: partners }
        """
    }

    @Test func readsTheHeaderAndThePolicyForItsListenerOnly() throws {
        for header in ForwardedCertificateHeader.allCases {
            let file = try writeConfiguration(
                Self.yaml(trust: "{ header: \(header.rawValue), fromPolicy: edge-proxies }")
            )
            let configuration = try loader.load(file: file)
            #expect(Array(configuration.trustForwardedClientCertificate.keys) == [0])
            let trust = try #require(configuration.trustForwardedClientCertificate[0])
            #expect(trust.header == header)
            #expect(trust.fromPolicy == "edge-proxies")
        }
    }

    /// Each mistake, with the key path and line the error must name and a fragment of its problem.
    static let mistakes: [(trust: String, clientCertificate: String, keyPath: String, problem: String)] = [
        (
            "{ header: rfc9440, fromPolicy: nobody }", "request",
            "listeners[0].trustForwardedClientCertificate.fromPolicy", "unknown policy 'nobody'"
        ),
        (
            "{ header: pem, fromPolicy: edge-proxies }", "request",
            "listeners[0].trustForwardedClientCertificate.header", "'pem' is not one of rfc9440 | xfcc"
        ),
        (
            "{ header: rfc9440, fromPolicy: edge-proxies }", "none",
            "listeners[0].trustForwardedClientCertificate", "does not ask for client certificates"
        ),
        (
            "{ header: rfc9440, fromPolicy: edge-proxies, depth: 2 }", "request",
            "listeners[0].trustForwardedClientCertificate.depth", "unknown key"
        ),
        ("{ fromPolicy: edge-proxies }", "request", "listeners[0].trustForwardedClientCertificate", "header: required"),
        ("{ header: xfcc }", "request", "listeners[0].trustForwardedClientCertificate", "fromPolicy: required"),
    ]

    @Test(arguments: Self.mistakes)
    func aMistakeNamesFileLineAndKey(
        _ mistake: (trust: String, clientCertificate: String, keyPath: String, problem: String)
    ) throws {
        let file = try writeConfiguration(Self.yaml(trust: mistake.trust, clientCertificate: mistake.clientCertificate))
        let error = #expect(throws: ConfigurationError.self) { try loader.load(file: file) }
        #expect(error?.file == file)
        #expect(error?.keyPath == mistake.keyPath, "\(error?.description ?? "")")
        #expect(error?.line == 6, "\(error?.description ?? "")")
        #expect(error?.problem.contains(mistake.problem) == true, "\(error?.description ?? "")")
    }

    /// The README's "Behind a TLS-terminating proxy" example is a working configuration.
    @Test func theReadmeExampleLoads() throws {
        let readme = try String(
            contentsOf: ReadmeConfigurationTests.packageRoot.appendingPathComponent("README.md"),
            encoding: .utf8
        )
        let section = try #require(readme.range(of: "### Behind a TLS-terminating proxy"))
        let start = try #require(readme.range(of: "```yaml\n", range: section.upperBound..<readme.endIndex))
        let end = try #require(readme.range(of: "```", range: start.upperBound..<readme.endIndex))
        let configuration = try loader.load(
            file: try writeConfiguration(String(readme[start.upperBound..<end.lowerBound]))
        )
        let trust = try #require(configuration.trustForwardedClientCertificate[0])
        #expect(trust.header == .rfc9440)
        #expect(trust.fromPolicy == "edge-proxies")
    }

    @Test func checkShowsItOnTheListener() throws {
        let file = try writeConfiguration(Self.yaml(trust: "{ header: xfcc, fromPolicy: edge-proxies }"))
        let report = try ConfigurationCheck().check(configurationFile: file)
        #expect(report.listeners[0].trustForwardedClientCertificate?.header == "xfcc")
        #expect(report.listeners[0].trustForwardedClientCertificate?.fromPolicy == "edge-proxies")
        #expect(report.listeners[1].trustForwardedClientCertificate == nil)
        #expect(
            report.text.contains(
                "forwarded     client certificates in xfcc headers from proxies passing policy edge-proxies"
            ),
            "\(report.text)"
        )
        #expect(try report.json().contains("\"trustForwardedClientCertificate\""))
    }
}
