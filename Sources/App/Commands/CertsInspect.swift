import ArgumentParser
import Certificates
import Foundation

extension Certs {
    /// `gatehouse certs inspect`: what a certificate file holds.
    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the certificates in a PEM, DER or PFX file.",
            discussion: """
                Prints subject and issuer (RFC 4514), serial, validity and days remaining, SANs, key type and \
                size, key usage and extended key usage, SHA-1 and SHA-256 thumbprints (uppercase hex as Azure \
                shows them, and with colons as OpenSSL does) and the SHA-256 of the public key (SPKI). A PFX \
                without --password is tried with an empty password and with FILE.password when that exists.
                """
        )

        @Argument(help: "A PEM (one or more certificates), DER or PFX file.")
        var file: String

        @Option(help: "The PFX password.")
        var password: String?

        @Flag(help: "Print stable JSON (sorted keys) instead of text.")
        var json = false

        func validate() throws {
            guard FileManager.default.fileExists(atPath: self.file) else {
                throw ValidationError("\(self.file): no such file")
            }
        }

        func run() throws {
            try reportingFailures {
                let report = try CertificateFileReport(file: self.file, password: self.password)
                print(self.json ? try report.json() : report.text, terminator: "")
            }
        }
    }
}
