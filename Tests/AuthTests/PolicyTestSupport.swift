import Foundation
import GatehouseAuth
import GatehouseCertificates
import TestSupport
import Testing

/// Loads a policy trusting the test root, changed by `configure`.
func makePolicy(
    name: String = "test",
    _ configure: (inout PolicyConfiguration, PolicyTestPKI) -> Void = { _, _ in }
) throws -> ClientCertificatePolicy {
    let pki = try PolicyTestPKI.shared()
    var configuration = PolicyConfiguration()
    configuration.trustedCAs = [pki.base.rootCAFile]
    configure(&configuration, pki)
    return try ClientCertificatePolicy.load(configuration, name: name, relativeTo: nil)
}

/// The reasons `policy` gives for `chain` at the PKI's reference time; empty when accepted.
func reasons(
    _ policy: ClientCertificatePolicy,
    _ chain: [Certificate],
    at now: Date? = nil
) throws -> [ClientCertificateRejection.Reason] {
    let pki = try PolicyTestPKI.shared()
    return policy.evaluate(chain: chain, at: now ?? pki.base.referenceTime).rejection?.reasons ?? []
}

/// An identity with one field set by `configure`.
func identity(_ configure: (inout IdentityConfiguration) -> Void) -> IdentityConfiguration {
    var identity = IdentityConfiguration()
    configure(&identity)
    return identity
}
