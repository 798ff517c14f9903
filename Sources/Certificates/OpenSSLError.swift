import COpenSSL

/// An error from OpenSSL or from reading certificate material.
public struct CertificateError: Error, CustomStringConvertible, Hashable {
    /// What went wrong, as a stable code.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case unreadableFile, invalidPEM, invalidDER, noCertificate, invalidKey, keyMismatch, invalidPKCS12
            case wrongPassword, generationFailed, writeFailed, openSSL
            case invalidName, notCertificateAuthority, fileExists, invalidRecord
        }
        private let base: Base
        /// The code's name, e.g. `invalidPEM`: stable, for logs and matching.
        public var description: String { self.base.rawValue }

        /// A file could not be read.
        public static let unreadableFile = Code(base: .unreadableFile)
        /// The PEM text could not be parsed.
        public static let invalidPEM = Code(base: .invalidPEM)
        /// The DER bytes could not be parsed.
        public static let invalidDER = Code(base: .invalidDER)
        /// No certificate was found where one was expected.
        public static let noCertificate = Code(base: .noCertificate)
        /// The private key could not be parsed.
        public static let invalidKey = Code(base: .invalidKey)
        /// The private key does not belong to the certificate.
        public static let keyMismatch = Code(base: .keyMismatch)
        /// The PKCS#12 data could not be parsed.
        public static let invalidPKCS12 = Code(base: .invalidPKCS12)
        /// The password does not open the PKCS#12 data.
        public static let wrongPassword = Code(base: .wrongPassword)
        /// Creating a key, certificate or CRL failed.
        public static let generationFailed = Code(base: .generationFailed)
        /// Writing a file failed.
        public static let writeFailed = Code(base: .writeFailed)
        /// Another OpenSSL call failed.
        public static let openSSL = Code(base: .openSSL)
        /// A distinguished name's text could not be parsed.
        public static let invalidName = Code(base: .invalidName)
        /// A certificate that should be a CA (basicConstraints CA:TRUE) is not one.
        public static let notCertificateAuthority = Code(base: .notCertificateAuthority)
        /// A file that would be written already exists and overwriting was not asked for.
        public static let fileExists = Code(base: .fileExists)
        /// A CA directory's record of issued and revoked certificates (`index.json`) could not be read.
        public static let invalidRecord = Code(base: .invalidRecord)
    }

    /// The kind of failure.
    public let code: Code
    /// Detail for logs: the file, and OpenSSL's error queue.
    public let detail: String

    /// Creates an error; `detail` should name the file or call that failed.
    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    /// An error with OpenSSL's error queue appended to `detail` (the queue is drained).
    package static func fromOpenSSL(_ code: Code, _ detail: String) -> CertificateError {
        let stack = OpenSSLErrorQueue.drain()
        return CertificateError(code, stack.isEmpty ? detail : "\(detail): \(stack)")
    }

    /// The code, then the detail: `invalidPEM: ca.pem: …`.
    public var description: String { "\(self.code): \(self.detail)" }

    /// Equal when the codes are: the detail is for logs only, so errors compare by code.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    /// Hashes the code alone, as `==` compares it.
    public func hash(into hasher: inout Hasher) { hasher.combine(self.code) }
}

/// OpenSSL's thread-local error queue.
package enum OpenSSLErrorQueue {
    /// Empties the queue; call before an OpenSSL call whose failure you will report.
    ///
    /// Looks first: the queue is almost always empty already (this runs before every record's `SSL_read` and
    /// `SSL_write`), and looking is cheaper than clearing all its slots.
    package static func clear() {
        if ERR_peek_error() != 0 { ERR_clear_error() }
    }

    /// Empties the queue and returns its entries as text, oldest first, joined by `; `.
    package static func drain() -> String {
        self.drainEntries().map(\.description).joined(separator: "; ")
    }

    /// Empties the queue and returns its entries, oldest first: classify by their codes, log their text.
    package static func drainEntries() -> [OpenSSLErrorEntry] {
        var entries: [OpenSSLErrorEntry] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            entries.append(OpenSSLErrorEntry(packedCode: code))
        }
        return entries
    }
}

/// One entry of OpenSSL's error queue: the packed code, from which the library and reason come.
package struct OpenSSLErrorEntry: Hashable, Sendable, CustomStringConvertible {
    /// The packed code `ERR_get_error` returned.
    package let packedCode: UInt

    package init(packedCode: UInt) { self.packedCode = packedCode }

    /// The library that raised it (`ERR_LIB_SSL`, `ERR_LIB_X509`, …).
    package var library: Int32 { ERR_GET_LIB(self.packedCode) }

    /// The reason code within the library: `SSL_R_*`, `X509_R_*`, …
    package var reason: Int32 { ERR_GET_REASON(self.packedCode) }

    /// Whether it is the SSL library's `reason` (an `SSL_R_*` code).
    package func isSSL(_ reason: Int32) -> Bool { self.library == ERR_LIB_SSL && self.reason == reason }

    /// OpenSSL's text for the reason alone, e.g. `wrong version number`.
    package var reasonText: String {
        _ = errorStringsLoaded
        return ERR_reason_error_string(self.packedCode).map { String(cString: $0) } ?? "reason \(self.reason)"
    }

    /// OpenSSL's full line, e.g. `error:0A00010B:SSL routines::wrong version number`.
    package var description: String {
        _ = errorStringsLoaded
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(self.packedCode, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// OpenSSL loads the SSL library's error texts with the first `SSL_CTX_new`; an error described before any context
/// exists (a unit test, a client that failed early) would read `reason 267` instead. Loaded once, on first use.
private let errorStringsLoaded: Bool = {
    OPENSSL_init_ssl(UInt64(OPENSSL_INIT_LOAD_SSL_STRINGS | OPENSSL_INIT_LOAD_CRYPTO_STRINGS), nil) == 1
}()
