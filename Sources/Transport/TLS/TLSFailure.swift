import COpenSSL
package import GatehouseCertificates

/// Why OpenSSL failed a TLS operation, kept as codes: the error queue's entries (`ERR_LIB_SSL` and an `SSL_R_*`
/// reason) and, when the peer's chain failed verification, its `X509_V_ERR_*` code. Failures are classified by
/// these codes, never by OpenSSL's text, which is only for logs.
package struct TLSFailure: Hashable, Sendable {
    /// OpenSSL's error queue at the failure, oldest first.
    package let entries: [OpenSSLErrorEntry]
    /// The verification verdict on the peer's chain when the handshake failed because of it.
    package let verifyResult: CertificateVerifyResult?
    /// `SSL_get_error`'s code (`SSL_ERROR_SSL`, `SSL_ERROR_SYSCALL`, …).
    package let sslError: Int32

    package init(entries: [OpenSSLErrorEntry], verifyResult: CertificateVerifyResult? = nil, sslError: Int32) {
        self.entries = entries
        self.verifyResult = verifyResult
        self.sslError = sslError
    }

    /// Whether OpenSSL raised the SSL library's `reason` (an `SSL_R_*` code).
    package func contains(_ reason: Int32) -> Bool {
        self.entries.contains { $0.isSSL(reason) }
    }

    /// The alert the peer sent, when the failure is one: OpenSSL raises `SSL_AD_REASON_OFFSET` plus the alert's
    /// number for an alert it receives.
    package var receivedAlert: TLSAlert? {
        for entry in self.entries where entry.library == ERR_LIB_SSL {
            let number = entry.reason - SSL_AD_REASON_OFFSET
            if (0...255).contains(number) { return TLSAlert(rawValue: UInt8(number)) }
        }
        return nil
    }

    /// The peer sent no certificate where one was required: we said so (no certificate in the peer's Certificate
    /// message), or the peer did (a `certificate_required` alert).
    package var isPeerCertificateMissing: Bool {
        self.contains(SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE) || self.receivedAlert == .certificateRequired
    }

    /// Our verification of the peer's chain (or of its name) failed the handshake.
    package var isPeerVerificationFailure: Bool { self.contains(SSL_R_CERTIFICATE_VERIFY_FAILED) }

    /// OpenSSL's reason text of the first entry, e.g. `wrong version number`, for a sentence.
    package var reasonText: String {
        self.entries.first?.reasonText ?? "SSL error \(self.sslError)"
    }

    /// The whole queue as text, for logs: `error:0A00010B:SSL routines::wrong version number; ...`.
    package var detail: String {
        var text = self.entries.map(\.description).joined(separator: "; ")
        if text.isEmpty { text = "SSL error \(self.sslError)" }
        if let verifyResult { text += " (verify error \(verifyResult.code): \(verifyResult))" }
        return text
    }
}

/// A TLS alert's description (RFC 8446 §6), named as the RFC names it, with spaces.
package struct TLSAlert: Hashable, Sendable, CustomStringConvertible {
    package let rawValue: UInt8

    package init(rawValue: UInt8) { self.rawValue = rawValue }

    package static let badCertificate = TLSAlert(rawValue: 42)
    package static let unsupportedCertificate = TLSAlert(rawValue: 43)
    package static let certificateRevoked = TLSAlert(rawValue: 44)
    package static let certificateExpired = TLSAlert(rawValue: 45)
    package static let certificateUnknown = TLSAlert(rawValue: 46)
    package static let unknownCA = TLSAlert(rawValue: 48)
    package static let accessDenied = TLSAlert(rawValue: 49)
    package static let certificateRequired = TLSAlert(rawValue: 116)

    /// The alerts a server sends when it will not accept the client's certificate (or the lack of one).
    package var refusesCertificate: Bool {
        switch self {
        case .badCertificate, .unsupportedCertificate, .certificateRevoked, .certificateExpired, .certificateUnknown,
            .unknownCA, .accessDenied, .certificateRequired:
            true
        default:
            false
        }
    }

    /// `certificate required`, `unknown ca`, `protocol version`; `alert 199` for a number the RFCs do not name.
    package var description: String { Self.names[self.rawValue] ?? "alert \(self.rawValue)" }

    private static let names: [UInt8: String] = [
        0: "close notify", 10: "unexpected message", 20: "bad record mac", 21: "decryption failed",
        22: "record overflow", 30: "decompression failure", 40: "handshake failure", 41: "no certificate",
        42: "bad certificate", 43: "unsupported certificate", 44: "certificate revoked", 45: "certificate expired",
        46: "certificate unknown", 47: "illegal parameter", 48: "unknown ca", 49: "access denied",
        50: "decode error", 51: "decrypt error", 60: "export restriction", 70: "protocol version",
        71: "insufficient security", 80: "internal error", 86: "inappropriate fallback", 90: "user canceled",
        100: "no renegotiation", 109: "missing extension", 110: "unsupported extension",
        111: "certificate unobtainable", 112: "unrecognized name", 113: "bad certificate status response",
        114: "bad certificate hash value", 115: "unknown psk identity", 116: "certificate required",
        120: "no application protocol",
    ]
}
