import GatehouseAuth
import GatehouseTransport

extension ConfigurationReader {
    static let forwardedCertificateKeys: Set<String> = ["header", "fromPolicy"]

    /// A listener's `trustForwardedClientCertificate`: `header` (`rfc9440` or `xfcc`, required) and `fromPolicy` (a
    /// defined policy, required). The listener must ask for client certificates: a proxy is recognised by its own.
    func forwardedCertificateTrust(
        _ node: ConfigNode,
        listener: ListenerConfiguration,
        policies: Set<String>
    ) throws -> ForwardedCertificateTrust {
        let entries = try node.mapping(allowed: Self.forwardedCertificateKeys)
        guard let header = entries["header"] else { throw node.error("header: required (rfc9440 or xfcc)") }
        guard let fromPolicy = entries["fromPolicy"] else {
            throw node.error("fromPolicy: required (the policy the proxy's own certificate must pass)")
        }
        let policy = try fromPolicy.string()
        guard policies.contains(policy) else {
            let known = policies.isEmpty ? "none are defined" : "defined: " + policies.sorted().joined(separator: ", ")
            throw fromPolicy.error("unknown policy '\(policy)' (\(known))")
        }
        guard listener.tls.clientCertificateMode != .none else {
            throw node.error(
                "the listener does not ask for client certificates (tls.clientCertificate: none), so no proxy can be "
                    + "recognised by its own: use request or require"
            )
        }
        return ForwardedCertificateTrust(
            header: try header.choice(ForwardedCertificateHeader.self),
            fromPolicy: policy,
            keyPath: node.keyPath
        )
    }
}
