import Foundation
import GatehouseAuth
import GatehouseCertificates
import GatehouseTransport

/// What expires in a configuration: each listener's server certificate (`kind="server"`, `name` = the listener),
/// each policy's trusted CAs (`trusted_ca`) and allow-list entries (`allow_list`), and its CRLs' nextUpdate (`crl`,
/// `subject` = the CRL's issuer).
///
/// Reads the files again, after the configuration was assembled (so they were readable a moment ago); a file that
/// cannot be read now is left out rather than failing a reload that already succeeded. Call off the event loop.
enum TrustMaterialExpiry {
    /// One series: its labels and the expiry.
    struct Entry: Sendable {
        /// The labels, which name a series.
        struct Key: Hashable, Sendable {
            let kind: String
            let name: String
            let subject: String
            let sha256: String
        }

        let key: Key
        let expiry: Date
    }

    /// Every entry of `configuration`.
    static func entries(of configuration: GatehouseConfiguration) -> [Entry] {
        var entries: [Entry] = []
        for listener in configuration.listeners {
            let name = ListenerMetrics.label(name: listener.name, host: listener.host, port: listener.port)
            if let leaf = self.leaf(of: listener.tls.identity) { entries.append(self.entry("server", name, leaf)) }
        }
        if let tls = configuration.admin?.tls, let leaf = self.leaf(of: tls.identity) {
            entries.append(self.entry("server", "admin", leaf))
        }
        for policy in configuration.policies {
            let name = policy.name
            entries += self.certificates(policy.configuration.trustedCAs).map { self.entry("trusted_ca", name, $0) }
            entries += self.certificates(policy.configuration.certificates).map { self.entry("allow_list", name, $0) }
            for crl in self.crls(policy.configuration.crls) {
                guard let nextUpdate = crl.nextUpdate else { continue }
                let key = Entry.Key(kind: "crl", name: name, subject: crl.issuer, sha256: self.sha256(of: crl))
                entries.append(Entry(key: key, expiry: nextUpdate))
            }
        }
        return entries
    }

    private static func entry(_ kind: String, _ name: String, _ certificate: Certificate) -> Entry {
        let key = Entry.Key(kind: kind, name: name, subject: certificate.subject, sha256: certificate.sha256.hexString)
        return Entry(key: key, expiry: certificate.notAfter)
    }

    private static func leaf(of identity: TLSIdentity) -> Certificate? {
        switch identity {
        case .pem(let chain, _): return (try? Certificate.loadChain(pemFile: chain))?.first
        case .pkcs12(let file, let password): return (try? CertificateFile.read(file, password: password))?.1.first
        }
    }

    /// The certificates of files and folders (one level, as policies read them).
    private static func certificates(_ paths: [String]) -> [Certificate] {
        self.files(paths, extensions: ["pem", "crt", "cer", "der"]).flatMap { file in
            (try? CertificateFile.read(file))?.certificates ?? []
        }
    }

    private static func crls(_ paths: [String]) -> [CertificateRevocationList] {
        self.files(paths, extensions: ["crl", "pem", "der"]).flatMap {
            (try? CertificateRevocationList.load(file: $0)) ?? []
        }
    }

    private static func files(_ paths: [String], extensions: Set<String>) -> [String] {
        paths.flatMap { path -> [String] in
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return [] }
            guard isDirectory.boolValue else { return [path] }
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            return names.filter { extensions.contains(($0 as NSString).pathExtension.lowercased()) }.sorted()
                .map { (path as NSString).appendingPathComponent($0) }
        }
    }

    /// The SHA-256 of the CRL's DER encoding, decoded from its PEM form.
    private static func sha256(of crl: CertificateRevocationList) -> String {
        let base64 = crl.pemString.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        guard let der = Data(base64Encoded: base64) else { return "" }
        return Digest.sha256(Array(der)).hexString
    }
}
