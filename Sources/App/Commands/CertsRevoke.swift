import ArgumentParser
import Foundation
import GatehouseCertificateAuthority
import GatehouseCertificates

extension Certs {
    /// `gatehouse certs revoke`: record revocations and sign a new CRL.
    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke certificates and write the CA's signed CRL.",
            discussion: """
                Each CERT is a certificate file (PEM or DER) issued by the CA in --ca-dir, or a serial number in \
                hex. Revocations are kept in the CA's index.json, and every run signs a complete CRL (PEM) of all \
                of them with the next crlNumber, replacing --crl. With no CERT, the CRL is signed again as it \
                is (to renew nextUpdate).
                """
        )

        @Option(help: "The CA directory (ca.crt, ca.key, index.json).")
        var caDir: String

        @Argument(help: "Certificate files or hex serial numbers to revoke.")
        var certificates: [String] = []

        @Option(help: "Where to write the CRL (default: CA-DIR/crl.pem).")
        var crl: String?

        @Option(help: "Days until the CRL's nextUpdate.")
        var days = 30

        func validate() throws {
            guard !self.caDir.isEmpty else { throw ValidationError("--ca-dir must not be empty") }
            guard (1...3650).contains(self.days) else { throw ValidationError("--days must be between 1 and 3650") }
            for item in self.certificates where !FileManager.default.fileExists(atPath: item) {
                guard CertificateIndex.isSerialNumber(item) else {
                    throw ValidationError("\(item): neither a certificate file nor a hex serial number")
                }
            }
        }

        func run() throws {
            let now = Date()
            try reportingFailures {
                let folder = try CertificateAuthorityDirectory.load(self.caDir)
                let serials = try self.certificates.map { try self.serialNumber(of: $0, issuedBy: folder) }
                var index = try folder.loadIndex()
                for serial in serials {
                    switch index.revoke(serialNumber: serial, at: now) {
                    case .revoked: print("Revoked \(serial)")
                    case .revokedUnknownSerial: print("Revoked \(serial) (not in \(folder.indexFile); added)")
                    case .alreadyRevoked(let date): print("\(serial) was already revoked on \(date)")
                    }
                }
                let number = index.takeNextCRLNumber()
                // Saved first: a CRL number is never reused, even if writing the CRL fails.
                try index.save(to: folder.indexFile)
                let revoked = index.revoked.map {
                    CertificateRevocationList.RevokedCertificate(
                        serialNumber: $0.serialNumber,
                        revokedAt: $0.revokedAt ?? now
                    )
                }
                let list = try CertificateRevocationList.sign(
                    revoked: revoked,
                    crlNumber: number,
                    thisUpdate: now,
                    nextUpdate: now.addingTimeInterval(Double(self.days) * 86_400),
                    by: folder.authority
                )
                let path = self.crl ?? (self.caDir as NSString).appendingPathComponent("crl.pem")
                try writePublicFile(Array(list.pemString.utf8), to: path, overwrite: true)
                print(
                    "Wrote CRL number \(number) to \(path): \(revoked.count) revoked, next update \(list.nextUpdate.map { "\($0)" } ?? "none")"
                )
            }
        }

        private func serialNumber(of item: String, issuedBy folder: CertificateAuthorityDirectory) throws -> String {
            guard FileManager.default.fileExists(atPath: item) else { return CertificateIndex.normalizedSerial(item) }
            let certificate = try Certificate.loadChain(pemFile: item)[0]
            guard folder.issued(certificate) else {
                throw CertificateError(.keyMismatch, "\(item): not issued by \(folder.authority.certificate.subject)")
            }
            return CertificateIndex.normalizedSerial(certificate.serialNumberHex)
        }
    }
}
