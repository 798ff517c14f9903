import COpenSSL
public import Foundation

/// The purpose a chain is verified for: OpenSSL then checks the leaf's extendedKeyUsage.
public enum VerifyPurpose: Sendable, Hashable {
    /// TLS client authentication (the leaf needs clientAuth or no EKU).
    case clientAuth
    /// TLS server authentication.
    case serverAuth
    /// No purpose check: only signatures, names, validity and CA flags.
    case any
}

// @unchecked: the X509_STORE is never mutated after init; X509_STORE lookups are locked inside OpenSSL.
/// A set of trusted CA certificates that chains are verified against.
///
/// Immutable once built: a reload builds a new store. Building reads files; do it off the event loop.
///
/// ```swift
/// let store = try TrustStore(caFiles: ["pki/ca.crt"])
/// let result = store.verify(chain: peerChain)
/// if result.isOK { … }
/// ```
public final class TrustStore: @unchecked Sendable {
    private let store: OpaquePointer  // X509_STORE*, owned
    /// The trusted certificates, in the order they were added.
    public let certificates: [Certificate]

    /// Builds a store from certificates already in memory.
    public init(certificates: [Certificate]) {
        guard let store = X509_STORE_new() else {
            preconditionFailure("X509_STORE_new failed: out of memory")
        }
        self.store = store
        var unique: [Certificate] = []
        for certificate in certificates where !unique.contains(certificate) {
            unique.append(certificate)
            // Adding a duplicate is harmless in OpenSSL 3; the check above keeps `certificates` clean.
            _ = certificate.withUnsafeX509 { X509_STORE_add_cert(store, $0) }
        }
        OpenSSLErrorQueue.clear()
        self.certificates = unique
    }

    /// Builds a store from PEM files and directories of PEM files (`.pem`, `.crt`, `.cer`; a directory is
    /// read one level deep, files sorted by name).
    /// - Throws: ``CertificateError`` naming the file that could not be read or parsed.
    public convenience init(caFiles: [String]) throws {
        var certificates: [Certificate] = []
        for path in caFiles {
            for file in try expandCertificatePaths(path) {
                certificates.append(contentsOf: try Certificate.loadChain(pemFile: file))
            }
        }
        self.init(certificates: certificates)
    }

    deinit { X509_STORE_free(self.store) }

    /// Verifies a chain against the trusted CAs.
    ///
    /// Safe to call from several threads at once: each call uses its own `X509_STORE_CTX`.
    /// - Parameters:
    ///   - chain: the leaf first, then any intermediates the peer sent (treated as untrusted).
    ///   - extraUntrusted: more intermediates to build the path with (e.g. configured `intermediates`).
    ///   - time: the time to check validity at; `nil` for now.
    ///   - purpose: the EKU to require of the leaf.
    /// - Returns: OpenSSL's verdict; `X509_V_ERR_UNSPECIFIED`'s code when `chain` is empty.
    public func verify(
        chain: [Certificate],
        extraUntrusted: [Certificate] = [],
        at time: Date? = nil,
        purpose: VerifyPurpose = .clientAuth
    ) -> CertificateVerifyResult {
        guard let leaf = chain.first else { return CertificateVerifyResult(code: X509_V_ERR_UNSPECIFIED) }
        guard let context = X509_STORE_CTX_new() else { return CertificateVerifyResult(code: X509_V_ERR_OUT_OF_MEM) }
        defer { X509_STORE_CTX_free(context) }
        guard let untrusted = gatehouse_sk_X509_new_null() else {
            return CertificateVerifyResult(code: X509_V_ERR_OUT_OF_MEM)
        }
        defer { gatehouse_sk_X509_free(untrusted) }  // borrowed certificates
        let others = Array(chain.dropFirst()) + extraUntrusted
        for certificate in others {
            _ = certificate.withUnsafeX509 { gatehouse_sk_X509_push(untrusted, $0) }
        }
        return withExtendedLifetime(others) {
            leaf.withUnsafeX509 { leafX509 in
                OpenSSLErrorQueue.clear()
                defer { OpenSSLErrorQueue.clear() }
                guard X509_STORE_CTX_init(context, self.store, leafX509, untrusted) == 1 else {
                    return CertificateVerifyResult(code: X509_V_ERR_UNSPECIFIED)
                }
                if let time { X509_STORE_CTX_set_time(context, 0, time_t(time.timeIntervalSince1970)) }
                switch purpose {
                case .clientAuth: X509_STORE_CTX_set_purpose(context, X509_PURPOSE_SSL_CLIENT)
                case .serverAuth: X509_STORE_CTX_set_purpose(context, X509_PURPOSE_SSL_SERVER)
                case .any: break
                }
                if X509_verify_cert(context) == 1 { return .ok }
                let code = X509_STORE_CTX_get_error(context)
                return CertificateVerifyResult(code: code == X509_V_OK ? X509_V_ERR_UNSPECIFIED : code)
            }
        }
    }

    /// Lends the `X509_STORE*` to `body` (e.g. to `X509_STORE_up_ref` it into an `SSL_CTX`); it must not be
    /// mutated and the pointer must not escape without a reference.
    package func withUnsafeStore<Result>(_ body: (OpaquePointer) throws -> Result) rethrows -> Result {
        try body(self.store)
    }

    /// The trusted certificates' subject names, for the list of acceptable CAs a server sends.
    /// - Returns: a new `STACK_OF(X509_NAME)*` the caller owns (e.g. hands to `SSL_CTX_set_client_CA_list`).
    package func makeClientCANameList() -> OpaquePointer? {
        guard let names = gatehouse_sk_X509_NAME_new_null() else { return nil }
        for certificate in self.certificates {
            certificate.withUnsafeX509 { x509 in
                if let copy = X509_NAME_dup(X509_get_subject_name(x509)) {
                    _ = gatehouse_sk_X509_NAME_push(names, copy)
                }
            }
        }
        return names
    }
}

/// A file as it is, or the certificate files in a directory (one level, sorted by name).
private func expandCertificatePaths(_ path: String) throws -> [String] {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw CertificateError(.unreadableFile, "\(path): no such file or directory")
    }
    guard isDirectory.boolValue else { return [path] }
    let names: [String]
    do {
        names = try FileManager.default.contentsOfDirectory(atPath: path)
    } catch {
        throw CertificateError(.unreadableFile, "\(path): \(error)")
    }
    let extensions: Set<String> = ["pem", "crt", "cer"]
    return names.filter { extensions.contains(($0 as NSString).pathExtension.lowercased()) }
        .sorted()
        .map { (path as NSString).appendingPathComponent($0) }
}
