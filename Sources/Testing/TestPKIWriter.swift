import Foundation
import GatehouseCertificateAuthority
import GatehouseCertificates

/// Mints specs relative to a reference time and writes PEM files for ``TestPKI``.
struct TestPKIWriter {
    enum Validity { case normal, long, expired, notYetValid }

    let directory: String
    let referenceTime: Date

    func spec(
        _ commonName: String,
        _ kind: CertificateSpec.Kind,
        sans: [SubjectAlternativeName] = [],
        validity: Validity = .normal
    ) -> CertificateSpec {
        let day: TimeInterval = 86_400
        let (start, end): (TimeInterval, TimeInterval) =
            switch validity {
            case .normal: (-day, 30 * day)
            case .long: (-2 * day, 3650 * day)
            case .expired: (-60 * day, -30 * day)
            case .notYetValid: (30 * day, 60 * day)
            }
        return CertificateSpec(
            subject: [.organization("Gatehouse Tests"), .commonName(commonName)],
            kind: kind,
            sans: sans,
            notBefore: self.referenceTime.addingTimeInterval(start),
            notAfter: self.referenceTime.addingTimeInterval(end)
        )
    }

    func identity(_ name: String, issuer: CertificateAuthority?, spec: CertificateSpec) throws -> TestIdentity {
        let issued = try issuer?.issue(spec) ?? IssuedCertificate.selfSigned(spec)
        var chain = [issued.certificate]
        if let issuer, !issuer.certificate.isSelfIssued { chain.append(issuer.certificate) }
        return TestIdentity(
            name: name,
            certificate: issued.certificate,
            key: issued.key,
            chain: chain,
            certificateFile: try self.writeCertificates([issued.certificate], name: "\(name).crt"),
            keyFile: try self.write(issued.key.pemBytes(), name: "\(name).key"),
            chainFile: try self.writeCertificates(chain, name: "\(name)-chain.pem")
        )
    }

    func writeCertificates(_ certificates: [Certificate], name: String) throws -> String {
        try self.write(Array(certificates.pemString.utf8), name: name)
    }

    func write(_ bytes: [UInt8], name: String) throws -> String {
        let path = (self.directory as NSString).appendingPathComponent(name)
        guard
            FileManager.default.createFile(
                atPath: path,
                contents: Data(bytes),
                attributes: [.posixPermissions: 0o600]
            )
        else { throw CertificateError(.writeFailed, path) }
        return path
    }
}
