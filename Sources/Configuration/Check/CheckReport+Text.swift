extension CheckReport {
    /// The report for people: listeners, routes, policies, warnings, and a last line saying whether `serve` would
    /// start (it always would: a report exists only for a configuration that passed).
    public var text: String {
        var lines = ["Configuration: \(self.configuration)", "", "Listeners"]
        for listener in self.listeners { lines += Self.lines(listener) }
        lines += ["", "Routes"]
        for route in self.routes { lines.append("  \(route.key)  \(Self.line(route))") }
        if !self.policies.isEmpty {
            lines += ["", "Policies"]
            for policy in self.policies { lines += Self.lines(policy) }
        }
        if !self.authenticators.isEmpty {
            lines += ["", "Authenticators"]
            for authenticator in self.authenticators { lines += Self.lines(authenticator) }
        }
        if !self.warnings.isEmpty {
            lines += ["", "Warnings"]
            for warning in self.warnings { lines.append("  " + self.location(of: warning) + warning.message) }
        }
        let count = self.warnings.count
        let summary = count == 0 ? "no warnings" : count == 1 ? "1 warning" : "\(count) warnings"
        lines += ["", "OK: gatehouse serve would start with this configuration (\(summary))."]
        return lines.joined(separator: "\n") + "\n"
    }

    /// `file:line: key: `, as configuration errors locate themselves.
    private func location(of warning: Warning) -> String {
        let file = warning.line.map { "\(self.configuration):\($0)" } ?? self.configuration
        return "\(file): \(warning.key): "
    }

    private static func lines(_ listener: Listener) -> [String] {
        let host = listener.host.contains(":") ? "[\(listener.host)]" : listener.host
        let name = listener.name.map { " \($0)" } ?? ""
        var lines = [
            "  \(listener.key)\(name)  \(host):\(listener.port)  \(listener.protocols.joined(separator: ", "))  "
                + "client certificates: \(listener.clientCertificate)"
        ]
        var certificate = "    certificate   " + self.describe(listener.certificate)
        if !listener.certificate.subjectAlternativeNames.isEmpty {
            certificate += "  " + listener.certificate.subjectAlternativeNames.joined(separator: ", ")
        }
        lines.append(certificate)
        lines += listener.chain.map { "    chain         " + self.describe($0) }
        lines += listener.trustedCAs.map { "    trusted CA    " + self.describe($0) }
        if let keys = listener.sessionTicketKeyFile {
            lines.append("    tickets       keys from \(keys) (replicas that read it resume each other's sessions)")
        }
        if let trust = listener.trustForwardedClientCertificate {
            lines.append(
                "    forwarded     client certificates in \(trust.header) headers from proxies passing policy "
                    + trust.fromPolicy
            )
        }
        return lines
    }

    private static func line(_ route: Route) -> String {
        var steps = ["\(route.methods.joined(separator: ", ")) \(route.path)"]
        steps.append(route.policy.map { "policy \($0)" } ?? "no policy")
        if !route.authenticators.isEmpty {
            steps.append(
                "authenticators "
                    + route.authenticators.map { $0.joined(separator: " | ") }.joined(separator: ", then ")
            )
        }
        steps.append(route.upstream.map { "upstream \($0)" } ?? "function \(route.function)")
        let listeners = route.listeners.map { "  (on \($0.joined(separator: ", ")))" } ?? ""
        return steps.joined(separator: " → ") + listeners
    }

    private static func lines(_ policy: Policy) -> [String] {
        let identities = policy.identityCount == 1 ? "1 identity" : "\(policy.identityCount) identities"
        var lines = ["  \(policy.name)  \(policy.mode), \(identities)"]
        lines += policy.trustedCAs.map { "    trusted CA    " + self.describe($0) }
        lines += policy.intermediates.map { "    intermediate  " + self.describe($0) }
        lines += policy.allowList.map { "    allow-list    " + self.describe($0) + "  (by \(policy.allowListMatch))" }
        for crl in policy.crls {
            let next =
                crl.nextUpdate.map { "next update \($0) (\(self.days(crl.daysRemaining ?? 0)))" } ?? "no next update"
            lines.append("    CRL           \(crl.issuer)  \(next), \(crl.revokedCount) revoked")
        }
        if let ocsp = policy.ocsp {
            let responder = ocsp.responder ?? "each certificate's AIA responder"
            lines.append(
                "    OCSP          \(ocsp.mode), \(responder), timeout \(ocsp.timeoutMilliseconds) ms, "
                    + "cache \(ocsp.cacheSize) statuses"
            )
        }
        return lines
    }

    private static func lines(_ authenticator: Authenticator) -> [String] {
        let used = authenticator.routes.isEmpty ? "no route" : authenticator.routes.joined(separator: ", ")
        var lines = [
            "  \(authenticator.name)  \(authenticator.type), issuer \(authenticator.issuer), audience "
                + "\(authenticator.audiences.joined(separator: " | ")), leeway \(authenticator.leeway)  (used by \(used))"
        ]
        lines.append("    JWKS          \(authenticator.jwks)")
        lines += authenticator.keys.map { "    key           kid \($0.kid)  \($0.alg)" }
        return lines
    }

    private static func describe(_ certificate: CertificateSummary) -> String {
        "\(certificate.subject)  until \(certificate.notAfter) (\(self.days(certificate.daysRemaining)))"
    }

    private static func days(_ count: Int) -> String { count < 0 ? "expired" : dayCount(count) }
}
