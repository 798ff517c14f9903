import ArgumentParser
import Foundation
import GatehouseCertificates

extension Certs {
    /// `gatehouse certs inspect`: what a certificate file holds.
    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the certificates in a PEM, DER or PFX file.",
            discussion: """
                Prints subject and issuer (RFC 4514), serial, validity and days remaining, SANs, key type and \
                size, key usage and extended key usage, SHA-1 and SHA-256 thumbprints (uppercase hex as Azure \
                shows them, and with colons as OpenSSL does) and the SHA-256 of the public key (SPKI). A PFX \
                without --password or --password-file is tried with an empty password and with FILE.password when \
                that exists.
                """
        )

        @Argument(help: "A PEM (one or more certificates), DER or PFX file.")
        var file: String

        @Option(help: "The PFX password. \(visiblePasswordWarning).")
        var password: String?

        @Option(help: "A file whose first line is the PFX password.")
        var passwordFile: String?

        @Flag(help: "Print stable JSON (sorted keys) instead of text.")
        var json = false

        func validate() throws {
            guard FileManager.default.fileExists(atPath: self.file) else {
                throw ValidationError("\(self.file): no such file")
            }
            try validatePasswordOptions(
                self.password,
                file: self.passwordFile,
                names: ("--password", "--password-file")
            )
        }

        func run() throws {
            try reportingFailures {
                let password = try resolvePassword(self.password, file: self.passwordFile)
                let report = try CertificateFileReport(file: self.file, password: password)
                print(self.json ? try report.json() : report.text, terminator: "")
            }
        }
    }
}
