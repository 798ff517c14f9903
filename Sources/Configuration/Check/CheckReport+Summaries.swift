import Foundation
import GatehouseAuth
import GatehouseCertificates
import GatehouseGateway
import GatehouseTransport
import HTTPTypes

extension CheckReport.CertificateSummary {
    /// Summarises `certificate` as seen at `now`.
    init(_ certificate: Certificate, now: Date) {
        self.subject = certificate.subject
        self.issuer = certificate.issuer
        self.notAfter = isoDate(certificate.notAfter)
        self.daysRemaining = wholeDays(from: now, to: certificate.notAfter)
        self.sha256 = certificate.sha256.hexString
        self.subjectAlternativeNames = certificate.subjectAlternativeNames.map(\.description)
    }
}

extension CheckReport.CRLSummary {
    /// Summarises `crl` as seen at `now`.
    init(_ crl: CertificateRevocationList, now: Date) {
        self.issuer = crl.issuer
        self.thisUpdate = isoDate(crl.thisUpdate)
        self.nextUpdate = crl.nextUpdate.map(isoDate)
        self.daysRemaining = crl.nextUpdate.map { wholeDays(from: now, to: $0) }
        self.revokedCount = crl.revokedCertificates.count
    }
}

extension CheckReport.Listener {
    /// Summarises listener `index` of a configuration, with the certificate chain it presents and its trusted CAs.
    init(_ listener: ListenerConfiguration, index: Int, identity: ServerIdentity, now: Date) {
        self.key = "listeners[\(index)]"
        self.name = listener.name
        self.host = listener.host
        self.port = listener.port
        self.protocols = listener.tls.applicationProtocols
        self.clientCertificate = listener.tls.clientCertificateMode.rawValue
        self.certificate = CheckReport.CertificateSummary(identity.leaf, now: now)
        self.chain = identity.chain.map { CheckReport.CertificateSummary($0, now: now) }
        self.trustedCAs = identity.trustedCAs.map { CheckReport.CertificateSummary($0, now: now) }
        self.sessionTicketKeyFile = listener.tls.sessionTicketKeyFile
    }
}

extension CheckReport.Route {
    /// Summarises route `index` of a configuration.
    init(_ route: RouteConfiguration, index: Int, upstreams: [UpstreamConfiguration] = []) {
        self.key = "routes[\(index)]"
        self.path = route.path
        self.methods = route.methods.map(\.rawValue)
        self.policy = route.policy
        self.authenticators = route.authenticators
        self.function = route.function
        self.upstream = route.upstream.map { name in
            let url = upstreams.first { $0.name == name }.map { " (\($0.url))" } ?? ""
            return name + url
        }
        self.listeners = route.listeners
    }
}

extension CheckReport.Policy {
    /// Summarises a loaded policy and its trust material as seen at `now`.
    init(_ policy: ClientCertificatePolicy, now: Date) {
        self.name = policy.name
        self.mode = policy.mode.rawValue
        self.allowListMatch = policy.configuration.allowListMatch.rawValue
        self.identityCount = policy.configuration.identities.count
        self.trustedCAs = policy.trustedCACertificates.map { CheckReport.CertificateSummary($0, now: now) }
        self.intermediates = policy.intermediateCertificates.map { CheckReport.CertificateSummary($0, now: now) }
        self.allowList = policy.allowListedCertificates.map { CheckReport.CertificateSummary($0, now: now) }
        self.crls = policy.revocationLists.map { CheckReport.CRLSummary($0, now: now) }
        self.ocsp = policy.configuration.ocsp.map { ocsp in
            CheckReport.OCSPSummary(
                mode: ocsp.mode.rawValue,
                responder: ocsp.responder,
                timeoutMilliseconds: ocsp.timeout.components.seconds * 1000
                    + ocsp.timeout.components.attoseconds / 1_000_000_000_000_000,
                cacheSize: ocsp.cacheSize
            )
        }
    }
}

/// `date` as ISO 8601 in UTC, as `certs inspect` prints dates.
func isoDate(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }

/// Whole days from `start` to `end`, rounded down; negative once `end` has passed.
func wholeDays(from start: Date, to end: Date) -> Int {
    Int((end.timeIntervalSince(start) / 86_400).rounded(.down))
}

/// `1 day`, `3 days`.
func dayCount(_ count: Int) -> String { count == 1 ? "1 day" : "\(count) days" }
