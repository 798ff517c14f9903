import Foundation
import GatehouseAuth
import GatehouseCertificateAuthority
import GatehouseCertificates
import GatehouseConfiguration
import GatehouseTransport
import NIOCore

/// The embedded default of DESIGN.md, as a configuration: one listener, a policy trusting the development CA
/// in front of `hello` and `whoami`, and an open `health`.
enum DefaultConfiguration {
    /// The configuration for `pki` on `host:port`.
    static func make(host: String, port: Int, pki: DevelopmentPKI) -> GatehouseConfiguration {
        let directory = URL(fileURLWithPath: pki.directory).standardizedFileURL.path
        let ca = directory + "/ca.crt"
        var policy = PolicyConfiguration()
        policy.trustedCAs = [ca]
        let tls = TLSConfiguration(
            identity: .pem(certificateChainFile: directory + "/server.crt", privateKeyFile: directory + "/server.key"),
            clientCertificateMode: .request,
            trustedCAFiles: [ca]
        )
        return GatehouseConfiguration(
            file: "(embedded default)",
            listeners: [ListenerConfiguration(host: host, port: port, tls: tls)],
            policies: [.init(name: "development", configuration: policy)],
            routes: [
                RouteConfiguration(path: "/api/hello", function: "hello", policy: "development"),
                RouteConfiguration(path: "/api/whoami", function: "whoami", policy: "development"),
                RouteConfiguration(path: "/healthz", function: "health"),
            ]
        )
    }

    /// What `serve` prints once listening on the default: the address and two ready-to-paste curl lines.
    static func banner(pki: DevelopmentPKI, boundTo addresses: [SocketAddress]) -> String {
        let authority = addresses.first.map(authority(of:)) ?? "127.0.0.1:8443"
        let url = "https://\(authority)/api/hello?name=Gatehouse"
        let ca = "--cacert \(pki.caCertificateFile)"
        let client = "--cert \(pki.clientCertificateFile) --key \(pki.clientKeyFile)"
        return """
            Gatehouse is listening on https://\(authority) (HTTP/2 and HTTP/1.1)
            Development PKI: \(pki.directory)

            Without a client certificate (403 Invalid client certificate):
              curl \(ca) '\(url)'
            With the development client certificate (200 Hello, Gatehouse.):
              curl \(ca) \(client) '\(url)'
            """
    }
}

/// `host:port`, with brackets around IPv6 addresses.
func authority(of address: SocketAddress) -> String {
    let host = address.ipAddress ?? "127.0.0.1"
    let port = address.port ?? 0
    return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
}
