import ArgumentParser
import Foundation
import GatehouseCertificateAuthority
import GatehouseCertificates

extension Certs {
    /// `gatehouse certs issue`: one client, server or intermediate CA certificate.
    struct Issue: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue a client or server certificate, or an intermediate CA, from a CA directory.",
            discussion: """
                Writes PREFIX.crt and PREFIX.key (the key with mode 0600) and, with --pfx-password or \
                --pfx-password-file, PREFIX.pfx (mode 0600; \
                the certificate, key and CA chain, AES-256 and PBKDF2 as OpenSSL 3 makes them, or 3DES and a \
                SHA-1 MAC with --pfx-compatibility legacy for older Windows and keychain imports). PREFIX defaults \
                to the name, with characters other than letters, digits, '.', '-' and '_' replaced by '_'. The \
                serial number is recorded in the CA's index.json for `certs revoke`.

                --intermediate writes a new CA directory at --out (default: the name): ca.crt, ca.key, \
                chain.crt and index.json, usable as --ca-dir. It has pathlen:0, so it issues leaves only.

                A server certificate without --san gets DNS:NAME (or IP:NAME when the name is an address). \
                --self-signed makes a leaf signed by its own key, with no CA (e.g. to pin in a policy's \
                `certificates`). Existing files are never replaced without --force, and never written through a \
                symbolic link (--force replaces the link itself).
                """
        )

        /// The certificate's role.
        enum Kind: String, EnumerableFlag {
            case client, server, intermediate

            static func help(for value: Kind) -> ArgumentHelp? {
                switch value {
                case .client: "A TLS client certificate (extendedKeyUsage clientAuth)."
                case .server: "A TLS server certificate (extendedKeyUsage serverAuth)."
                case .intermediate: "An intermediate CA (CA:TRUE, pathlen:0; keyCertSign, cRLSign)."
                }
            }
        }

        @Option(help: "The issuing CA's directory (ca.crt and ca.key).")
        var caDir: String?

        @Option(help: "The subject's common name.")
        var name: String

        @Flag(help: "What to issue.")
        var kind: Kind?

        @Option(name: .customLong("san"), help: "A subjectAltName: DNS:x, IP:x, URI:x or email:x (repeatable).")
        var sans: [String] = []

        @Option(help: "Days of validity (default: 365; 1825 for an intermediate).")
        var days: Int?

        @Option(help: "Output path prefix (a directory for --intermediate).")
        var out: String?

        @Option(help: "Also write PREFIX.pfx with this password. \(visiblePasswordWarning).")
        var pfxPassword: String?

        @Option(help: "Also write PREFIX.pfx, with the password in this file's first line.")
        var pfxPasswordFile: String?

        @Option(help: PFXCompatibilityArgument.help)
        var pfxCompatibility = PFXCompatibilityArgument.modern

        @Flag(help: "Sign the certificate with its own key instead of a CA.")
        var selfSigned = false

        @Option(help: "ecdsa (P-256), rsa (2048), rsa3072 or rsa4096.")
        var keyType = KeyTypeArgument.ecdsa

        @Flag(help: "Replace existing output files.")
        var force = false

        func validate() throws {
            guard !self.name.isEmpty else { throw ValidationError("--name must not be empty") }
            guard let kind = self.kind else {
                throw ValidationError("say what to issue: --client, --server or --intermediate")
            }
            switch (self.caDir, self.selfSigned) {
            case (nil, false):
                throw ValidationError("--ca-dir is required (or --self-signed for a certificate without a CA)")
            case (.some, true): throw ValidationError("--self-signed and --ca-dir exclude each other")
            default: break
            }
            if kind == .intermediate {
                if self.selfSigned {
                    throw ValidationError("--intermediate needs a --ca-dir to sign it (use certs init for a root)")
                }
                if self.pfxPassword != nil || self.pfxPasswordFile != nil {
                    throw ValidationError("--pfx-password(-file) is for client and server certificates")
                }
                if !self.sans.isEmpty { throw ValidationError("--san is for client and server certificates") }
            }
            if let days = self.days, !(1...36_500).contains(days) {
                throw ValidationError("--days must be between 1 and 36500")
            }
            if self.pfxCompatibility != .modern && self.pfxPassword == nil && self.pfxPasswordFile == nil {
                throw ValidationError("--pfx-compatibility goes with --pfx-password or --pfx-password-file")
            }
            if let password = self.pfxPassword, password.isEmpty {
                throw ValidationError("--pfx-password must not be empty")
            }
            try validatePasswordOptions(
                self.pfxPassword,
                file: self.pfxPasswordFile,
                names: ("--pfx-password", "--pfx-password-file")
            )
            if let out = self.out, out.isEmpty { throw ValidationError("--out must not be empty") }
            _ = try parseSANs(self.sans)
        }

        func run() throws {
            let kind = self.kind ?? .client
            let now = Date()
            let days = self.days ?? (kind == .intermediate ? 1825 : 365)
            var spec = CertificateSpec(
                subject: [.commonName(self.name)],
                kind: .client,
                sans: try self.subjectAltNames(kind),
                notBefore: now,
                notAfter: now.addingTimeInterval(Double(days) * 86_400),
                keyType: self.keyType.keyType
            )
            let prefix = self.out ?? Self.safeFileName(self.name)
            try reportingFailures {
                let pfxPassword = try nonEmptyPassword(
                    resolvePassword(self.pfxPassword, file: self.pfxPasswordFile),
                    self.pfxPasswordFile
                )
                if self.selfSigned {
                    spec.kind = kind == .server ? .server : .client
                    let issued = try IssuedCertificate.selfSigned(spec)
                    let files = try issued.write(
                        prefix: prefix,
                        pfxPassword: pfxPassword,
                        pfxCompatibility: self.pfxCompatibility.compatibility,
                        overwrite: self.force
                    )
                    print(Self.summary("a self-signed \(kind.rawValue) certificate", issued.certificate, files))
                    return
                }
                let folder = try CertificateAuthorityDirectory.load(self.caDir ?? "")
                if kind == .intermediate {
                    try self.issueIntermediate(spec, from: folder, into: prefix)
                    return
                }
                spec.kind = kind == .server ? .server : .client
                let issued = try folder.authority.issue(spec)
                let files = try issued.write(
                    prefix: prefix,
                    chain: [folder.authority.certificate] + folder.chain,
                    pfxPassword: pfxPassword,
                    pfxCompatibility: self.pfxCompatibility.compatibility,
                    overwrite: self.force
                )
                try folder.recordIssued(issued.certificate, kind: kind.rawValue, at: now)
                print(Self.summary("a \(kind.rawValue) certificate", issued.certificate, files))
            }
        }

        private func issueIntermediate(
            _ spec: CertificateSpec,
            from folder: CertificateAuthorityDirectory,
            into path: String
        ) throws {
            guard folder.chain.isEmpty else {
                throw CertificateError(
                    .notCertificateAuthority,
                    "\(folder.certificateFile): an intermediate (pathlen:0) cannot sign another CA"
                )
            }
            let authority = try folder.authority.issueIntermediate(spec)
            let created = try CertificateAuthorityDirectory.create(
                at: path,
                authority: authority,
                chain: [folder.authority.certificate] + folder.chain,
                overwrite: self.force
            )
            try folder.recordIssued(authority.certificate, kind: "intermediate", at: spec.notBefore)
            let files = [created.certificateFile, created.keyFile, created.chainFile, created.indexFile]
            print(
                Self.summary("an intermediate CA", authority.certificate, files)
                    + "\nUse it with: gatehouse certs issue --ca-dir \(path) ..."
            )
        }

        private func subjectAltNames(_ kind: Kind) throws -> [SubjectAlternativeName] {
            let sans = try parseSANs(self.sans)
            // A name that is neither a host name nor an address (e.g. "Billing Service") gets no SAN.
            if kind == .server && sans.isEmpty {
                return [try? SubjectAlternativeName(parsing: self.name)].compactMap { $0 }
            }
            return sans
        }

        /// The name as a file name: anything but letters, digits, `.`, `-` and `_` becomes `_`.
        static func safeFileName(_ name: String) -> String {
            let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_")
            let mapped = String(name.map { allowed.contains($0) ? $0 : "_" })
            return mapped.hasPrefix(".") ? "_" + mapped.dropFirst() : mapped
        }

        private static func summary(_ what: String, _ certificate: Certificate, _ files: [String]) -> String {
            """
            Issued \(what):
            \(identityLines(certificate))
            Wrote: \(files.joined(separator: ", "))
            """
        }
    }
}
