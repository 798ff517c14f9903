import Foundation
import GatehouseCertificates

/// Reads the files a policy names, recording every path it touched.
struct PolicyFiles {
    let policy: String
    let baseDirectory: String?
    private(set) var sourcePaths: [String] = []

    init(policy: String, baseDirectory: String?) {
        self.policy = policy
        self.baseDirectory = baseDirectory
    }

    /// The certificates in each path of `paths` (files, or directories read one level deep).
    mutating func certificates(_ paths: [String], key: String) throws -> [Certificate] {
        var result: [Certificate] = []
        for (index, path) in paths.enumerated() {
            let itemKey = "policies.\(self.policy).\(key)[\(index)]"
            for file in try self.expand(path, key: itemKey, extensions: ["pem", "crt", "cer", "der"]) {
                do {
                    result += try Certificate.loadChain(pemFile: file)
                } catch let error as CertificateError {
                    throw PolicyError(
                        .invalidFile,
                        policy: self.policy,
                        key: itemKey,
                        file: file,
                        detail: "not a certificate: \(error.detail)"
                    )
                }
            }
        }
        return result
    }

    /// The CRLs in each path of `paths`.
    mutating func crls(_ paths: [String], key: String) throws -> [CertificateRevocationList] {
        var result: [CertificateRevocationList] = []
        for (index, path) in paths.enumerated() {
            let itemKey = "policies.\(self.policy).\(key)[\(index)]"
            for file in try self.expand(path, key: itemKey, extensions: ["crl", "pem", "der"]) {
                do {
                    result += try CertificateRevocationList.load(file: file)
                } catch let error as CertificateError {
                    throw PolicyError(
                        .invalidFile,
                        policy: self.policy,
                        key: itemKey,
                        file: file,
                        detail: "not a CRL: \(error.detail)"
                    )
                }
            }
        }
        return result
    }

    /// A file as it is, or the matching files of a directory (one level, sorted by name).
    private mutating func expand(_ path: String, key: String, extensions: Set<String>) throws -> [String] {
        let resolved = self.resolve(path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: resolved, isDirectory: &isDirectory) else {
            throw PolicyError(
                .unreadableFile,
                policy: self.policy,
                key: key,
                file: resolved,
                detail: "no such file or directory"
            )
        }
        self.sourcePaths.append(resolved)
        guard isDirectory.boolValue else { return [resolved] }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: resolved)
        } catch {
            throw PolicyError(.unreadableFile, policy: self.policy, key: key, file: resolved, detail: "\(error)")
        }
        let files = names.filter { extensions.contains(($0 as NSString).pathExtension.lowercased()) }
            .sorted()
            .map { (resolved as NSString).appendingPathComponent($0) }
        self.sourcePaths += files
        return files
    }

    private func resolve(_ path: String) -> String {
        guard !path.hasPrefix("/"), let baseDirectory else { return path }
        return ((baseDirectory as NSString).appendingPathComponent(path) as NSString).standardizingPath
    }
}
