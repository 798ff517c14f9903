import ArgumentParser
import Foundation
import GatehouseCertificateAuthority
import GatehouseCertificates

extension Certs {
    /// `gatehouse certs init`: the development CA, server and client certificates.
    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a development CA with a server and a client certificate.",
            discussion: """
                Writes ca.crt ca.key server.crt server.key client.crt client.key client.pfx and index.json into \
                --dir (the folder `gatehouse serve` uses by default). Keys, the PFX and the password file are \
                mode 0600; no file is written through a symbolic link. The server certificate is for localhost, \
                127.0.0.1 and ::1 plus any --san. Without --pfx-password or --pfx-password-file a random PFX password is \
                printed once and kept in client.pfx.password.

                When --dir already holds any of these files, nothing is changed and the command exits 1; \
                --force replaces the whole PKI (a new CA: certificates it issued before stop verifying). \
                To look at an existing PKI, use `gatehouse certs inspect DIR/client.crt`.
                """
        )

        @Option(help: "The directory to write into (created with mode 0700).")
        var dir = ".gatehouse/pki"

        @Option(help: "The client certificate's common name.")
        var clientName = "client"

        @Option(help: "The client.pfx password (default: random, printed once). \(visiblePasswordWarning).")
        var pfxPassword: String?

        @Option(help: "A file whose first line is the client.pfx password.")
        var pfxPasswordFile: String?

        @Option(help: PFXCompatibilityArgument.help)
        var pfxCompatibility = PFXCompatibilityArgument.modern

        @Option(help: "The key type of all three keys: ecdsa (P-256), rsa (2048), rsa3072 or rsa4096.")
        var keyType = KeyTypeArgument.ecdsa

        @Option(name: .customLong("san"), help: "An extra server name: DNS:name or IP:address (repeatable).")
        var sans: [String] = []

        @Flag(help: "Replace an existing PKI in --dir.")
        var force = false

        func validate() throws {
            guard !self.dir.isEmpty else { throw ValidationError("--dir must not be empty") }
            guard !self.clientName.isEmpty else { throw ValidationError("--client-name must not be empty") }
            if let password = self.pfxPassword, password.isEmpty {
                throw ValidationError("--pfx-password must not be empty (leave it out for a random one)")
            }
            try validatePasswordOptions(
                self.pfxPassword,
                file: self.pfxPasswordFile,
                names: ("--pfx-password", "--pfx-password-file")
            )
            _ = try parseSANs(self.sans)
        }

        func run() throws {
            let existing = DevelopmentPKI.existingFiles(in: self.dir)
            if !existing.isEmpty && !self.force {
                let names = existing.map { ($0 as NSString).lastPathComponent }.joined(separator: ", ")
                let message = """
                    gatehouse: \(self.dir) already holds a PKI (\(names)); nothing was changed.
                    Use --force to replace it, or `gatehouse certs inspect \(self.dir)/client.crt` to see it.
                    """
                FileHandle.standardError.write(Data((message + "\n").utf8))
                throw ExitCode.failure
            }
            let sans = try parseSANs(self.sans)
            let pfxPassword = try reportingFailures {
                let password = try resolvePassword(self.pfxPassword, file: self.pfxPasswordFile)
                return try nonEmptyPassword(password, self.pfxPasswordFile)
            }
            let pki = try reportingFailures {
                try DevelopmentPKI.loadOrCreate(
                    in: self.dir,
                    clientName: self.clientName,
                    pfxPassword: pfxPassword,
                    pfxCompatibility: self.pfxCompatibility.compatibility,
                    keyType: self.keyType.keyType,
                    serverSANs: sans,
                    force: true
                )
            }
            print(self.summary(pki, passwordWasGiven: pfxPassword != nil))
        }

        private func summary(_ pki: DevelopmentPKI, passwordWasGiven: Bool) -> String {
            let serverNames = pki.serverCertificate.subjectAlternativeNames.map(\.description).joined(separator: ", ")
            let option = self.pfxPasswordFile == nil ? "--pfx-password" : "--pfx-password-file"
            let password =
                !passwordWasGiven
                ? "PFX password: \(pki.pfxPassword)\n  (shown once; kept in \(pki.clientPFXPasswordFile), mode 0600)"
                : "PFX password: as given with \(option) (not stored)"
            let sha1 = pki.clientCertificate.sha1.hexString
            return """
                Created a development PKI in \(pki.directory) (\(self.keyType.label)):
                  CA:     ca.crt, ca.key          \(pki.caCertificate.subject)
                  Server: server.crt, server.key  \(serverNames)
                  Client: client.crt, client.key, client.pfx
                \(password)

                Client certificate:
                \(identityLines(pki.clientCertificate))

                For a policy:
                  identities:
                    - thumbprint: "\(sha1)"

                Try it: gatehouse serve --pki-directory \(pki.directory)
                """
        }
    }
}
