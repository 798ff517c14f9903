import Foundation
import GatehouseAuth
import GatehouseCertificates
import GatehouseTransport

/// The rules behind a ``CheckReport``'s warnings: pure functions of what was loaded, the configuration and `now`.
struct CheckWarnings {
    let configuration: GatehouseConfiguration
    let now: Date
    /// How far ahead an expiry is worth a warning.
    let window: TimeInterval
    private(set) var warnings: [CheckReport.Warning] = []

    init(configuration: GatehouseConfiguration, now: Date, window: TimeInterval) {
        self.configuration = configuration
        self.now = now
        self.window = window
    }

    /// Warns about each of `certificates` that has expired or expires within the window; `role` says what it is
    /// ("the server certificate", "the trusted CA").
    mutating func expiry(of certificates: [Certificate], role: String, key: String) {
        for certificate in certificates {
            let date = isoDate(certificate.notAfter)
            if certificate.notAfter <= self.now {
                let ago = dayCount(wholeDays(from: certificate.notAfter, to: self.now))
                self.add(.expired, key, "\(role) \(certificate.subject) expired on \(date) (\(ago) ago); replace it")
            } else if certificate.notAfter.timeIntervalSince(self.now) <= self.window {
                let left = dayCount(wholeDays(from: self.now, to: certificate.notAfter))
                self.add(
                    .expiresSoon,
                    key,
                    "\(role) \(certificate.subject) expires in \(left) (\(date)); renew it before then"
                )
            }
        }
    }

    /// Warns about each CRL of `policy` that is past its nextUpdate.
    mutating func outdatedCRLs(of policy: ClientCertificatePolicy) {
        let consequence =
            policy.configuration.validateRevocation
            ? "with validateRevocation on, every certificate it covers is refused until a newer CRL is in place"
            : "it is not used while validateRevocation is off"
        for crl in policy.revocationLists {
            guard let nextUpdate = crl.nextUpdate, nextUpdate <= self.now else { continue }
            self.add(
                .crlOutdated,
                "policies.\(policy.name).crls",
                "the CRL of \(crl.issuer) is past its nextUpdate (\(isoDate(nextUpdate))); \(consequence)"
            )
        }
    }

    /// Warns when listener `index`'s certificate has no SAN for the listener's host (an IP SAN for an address, a
    /// DNS SAN, wildcards included, for a name). The unspecified addresses (`0.0.0.0`, `::`) name no host: skipped.
    mutating func hostCoverage(of listener: ListenerConfiguration, index: Int, leaf: Certificate) {
        let host = listener.host
        guard !isUnspecifiedAddress(host), !leaf.matchesHost(host) else { return }
        let san = isIPAddressLiteral(host) ? "IP:\(host)" : "DNS:\(host)"
        let sans = leaf.subjectAlternativeNames.map(\.description)
        let has = sans.isEmpty ? "it has none" : "it has \(sans.joined(separator: ", "))"
        self.add(
            .hostNotCovered,
            "listeners[\(index)].host",
            "the server certificate \(leaf.subject) has no SAN for \(host) (\(has)): clients that check the "
                + "server's name refuse it; issue it with \(san)"
        )
    }

    /// Warns about each route that no policy or authenticator guards on a listener that asks for client
    /// certificates (`request`): anyone who connects can call it. `health` is meant to be open and is left out.
    mutating func routesWithoutPolicy() {
        let asking = self.configuration.listeners.enumerated().filter {
            $0.element.tls.clientCertificateMode == .request
        }
        for (index, route) in self.configuration.routes.enumerated()
        where route.policy == nil && route.authenticators.isEmpty && route.function != "health" {
            let listeners = asking.filter { route.isServed(on: $0.element) }
            guard !listeners.isEmpty else { continue }
            let names = listeners.map { $0.element.name ?? "listeners[\($0.offset)]" }.joined(separator: ", ")
            self.add(
                .routeWithoutPolicy,
                "routes[\(index)]",
                "\(route.path) has no policy on \(names), which asks for client certificates: anyone who connects "
                    + "can call \(route.upstream.map { "upstream \($0)" } ?? route.function); add policy: NAME to the route"
            )
        }
    }

    private mutating func add(_ kind: CheckReport.Warning.Kind, _ key: String, _ message: String) {
        let line = ConfigurationReader.line(of: key, inFile: self.configuration.file)
        self.warnings.append(CheckReport.Warning(kind: kind, key: key, line: line, message: message))
    }
}

/// Whether `host` is `0.0.0.0` or `::` in any spelling: listening on every address, naming none.
private func isUnspecifiedAddress(_ host: String) -> Bool {
    var v4 = in_addr()
    if inet_pton(AF_INET, host, &v4) == 1 { return v4.s_addr == 0 }
    var v6 = in6_addr()
    guard inet_pton(AF_INET6, host, &v6) == 1 else { return false }
    return withUnsafeBytes(of: &v6) { $0.allSatisfy { $0 == 0 } }
}
