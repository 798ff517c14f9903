import ArgumentParser
import Foundation
import GatehouseCertificates

/// `gatehouse certs`: make and look at the certificates a Gatehouse deployment needs.
struct Certs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a development PKI, issue and revoke certificates, inspect certificate files.",
        discussion: """
            A CA directory holds ca.crt, ca.key (mode 0600), an optional chain.crt (the CA's own issuers, for an \
            intermediate) and index.json (what the CA issued and revoked). `certs init` makes one, which is also \
            the development PKI `gatehouse serve` uses; `certs issue --intermediate` makes another.
            """,
        subcommands: [Init.self, Issue.self, Revoke.self, Inspect.self]
    )
}

/// `--key-type`: ecdsa (P-256, the default), rsa (2048), rsa2048, rsa3072, rsa4096.
struct KeyTypeArgument: ExpressibleByArgument, Sendable {
    let keyType: KeyType
    let name: String

    static let ecdsa = KeyTypeArgument(keyType: .ecdsaP256, name: "ecdsa")

    private init(keyType: KeyType, name: String) {
        self.keyType = keyType
        self.name = name
    }

    init?(argument: String) {
        switch argument.lowercased() {
        case "ecdsa", "ec", "p256", "p-256", "ecdsa-p256": self.init(keyType: .ecdsaP256, name: "ecdsa")
        case "rsa", "rsa2048": self.init(keyType: .rsa(bits: 2048), name: "rsa2048")
        case "rsa3072": self.init(keyType: .rsa(bits: 3072), name: "rsa3072")
        case "rsa4096": self.init(keyType: .rsa(bits: 4096), name: "rsa4096")
        default: return nil
        }
    }

    static var allValueStrings: [String] { ["ecdsa", "rsa", "rsa2048", "rsa3072", "rsa4096"] }
    var defaultValueDescription: String { self.name }

    /// `ECDSA P-256`, `RSA 3072`.
    var label: String {
        switch self.keyType {
        case .ecdsaP256: "ECDSA P-256"
        case .rsa(let bits): "RSA \(bits)"
        }
    }
}

/// Parses every `--san` value, turning the first bad one into a validation error.
func parseSANs(_ values: [String]) throws -> [SubjectAlternativeName] {
    try values.map { value in
        do {
            return try SubjectAlternativeName(parsing: value)
        } catch let error as CertificateError {
            throw ValidationError("--san \(value): \(error.detail)")
        }
    }
}

/// Runs `body`; a ``CertificateError`` becomes one line on standard error and exit status 1.
func reportingFailures<Result>(_ body: () throws -> Result) throws -> Result {
    do {
        return try body()
    } catch let error as CertificateError {
        var message = "gatehouse: \(error.detail)"
        if error.code == .fileExists { message += " (nothing was written; use --force to replace it)" }
        FileHandle.standardError.write(Data((message + "\n").utf8))
        throw ExitCode.failure
    }
}

/// `thumbprint`, `SHA-1`, `SHA-256` lines of a certificate, indented.
func identityLines(_ certificate: Certificate, indent: String = "  ") -> String {
    let report = CertificateReport(certificate)
    return """
        \(indent)Subject: \(report.subject)
        \(indent)Serial:  \(report.serialNumber)
        \(indent)SHA-1:   \(report.sha1.hex)
        \(indent)SHA-256: \(report.sha256.hex)
        \(indent)Expires: \(report.notAfter)
        """
}
