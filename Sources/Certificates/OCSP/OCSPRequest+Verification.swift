import COpenSSL
public import Foundation

/// What a verified OCSP response says about one certificate.
public struct OCSPAnswer: Sendable, Hashable {
    /// The certificate's status according to the responder.
    public enum Status: Sendable, Hashable, CustomStringConvertible {
        /// Not revoked.
        case good
        /// Revoked, at the given time when the responder said.
        case revoked(at: Date?)
        /// The responder does not know the certificate.
        case unknown

        /// `good`, `revoked` or `unknown`.
        public var description: String {
            switch self {
            case .good: "good"
            case .revoked: "revoked"
            case .unknown: "unknown"
            }
        }
    }

    /// The status.
    public let status: Status
    /// When the responder last knew the status to be correct.
    public let thisUpdate: Date
    /// When newer information will be available; `nil` when the responder always has newer information.
    public let nextUpdate: Date?

    /// Creates an answer.
    public init(status: Status, thisUpdate: Date, nextUpdate: Date?) {
        self.status = status
        self.thisUpdate = thisUpdate
        self.nextUpdate = nextUpdate
    }
}

extension OCSPRequest {
    /// Verifies `response` as the answer to this request and returns the status it gives.
    ///
    /// The response must be `successful` and a basic response whose signature verifies (`OCSP_basic_verify`): signed
    /// by the issuer itself, or by a responder certificate the issuer issued with the OCSP-signing EKU, its chain
    /// verifying to `trustStore`. A root in the store does not sign for certificates it did not issue
    /// (`OCSP_NOEXPLICIT`). Its thisUpdate and nextUpdate must hold at the current time, give or take `leeway`.
    /// - Parameters:
    ///   - response: the DER body the responder sent.
    ///   - trustStore: the policy's trusted CAs.
    ///   - untrusted: the leaf's verified chain above the leaf (issuer first): where the signer's chain is built.
    ///   - leeway: the clock skew allowed on thisUpdate and nextUpdate, in seconds.
    /// - Throws: ``OCSPError`` (`badResponse`, `responderError`, `unverified`, `noStatus`, `stale`).
    public func verify(
        response: [UInt8],
        trustStore: TrustStore,
        untrusted: [Certificate],
        leeway: Int = 300
    ) throws -> OCSPAnswer {
        OpenSSLErrorQueue.clear()
        let parsed: OpaquePointer? = response.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_OCSP_RESPONSE(nil, &cursor, buffer.count)
        }
        guard let parsed else {
            throw OCSPError(.badResponse, "not an OCSP response: \(OpenSSLErrorQueue.drain())")
        }
        defer { OCSP_RESPONSE_free(parsed) }
        let status = OCSP_response_status(parsed)
        guard status == OCSP_RESPONSE_STATUS_SUCCESSFUL else {
            let text = String(cString: OCSP_response_status_str(Int(status)))
            throw OCSPError(.responderError, "the responder answered \(text)")
        }
        guard let basic = OCSP_response_get1_basic(parsed) else {
            throw OCSPError(.badResponse, "no basic response: \(OpenSSLErrorQueue.drain())")
        }
        defer { OCSP_BASICRESP_free(basic) }
        try Self.verifySignature(basic, trustStore: trustStore, untrusted: untrusted)
        return try self.status(in: basic, leeway: leeway)
    }

    private static func verifySignature(
        _ basic: OpaquePointer,
        trustStore: TrustStore,
        untrusted: [Certificate]
    ) throws {
        guard let stack = gatehouse_sk_X509_new_null() else {
            throw OCSPError(.unverified, "out of memory")
        }
        // The stack borrows the certificates: freed without dropping their references.
        defer { gatehouse_sk_X509_free(stack) }
        for certificate in untrusted {
            _ = certificate.withUnsafeX509 { gatehouse_sk_X509_push(stack, $0) }
        }
        let verified = trustStore.withUnsafeStore { store in
            OCSP_basic_verify(basic, stack, store, UInt(OCSP_NOEXPLICIT))
        }
        guard verified == 1 else {
            throw OCSPError(.unverified, "OCSP_basic_verify: \(OpenSSLErrorQueue.drain())")
        }
    }

    private func status(in basic: OpaquePointer, leeway: Int) throws -> OCSPAnswer {
        guard let id = Self.certificateID(leaf: self.leaf, issuer: self.issuer) else {
            throw OCSPError(.noStatus, "OCSP_cert_to_id: \(OpenSSLErrorQueue.drain())")
        }
        defer { OCSP_CERTID_free(id) }
        var status: Int32 = -1
        var reason: Int32 = -1
        var revoked: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>? = nil
        var thisUpdate: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>? = nil
        var nextUpdate: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>? = nil
        guard OCSP_resp_find_status(basic, id, &status, &reason, &revoked, &thisUpdate, &nextUpdate) == 1 else {
            OpenSSLErrorQueue.clear()
            throw OCSPError(.noStatus, "the response has no status for serial \(self.leaf.serialNumberHex)")
        }
        guard let thisUpdate, OCSP_check_validity(thisUpdate, nextUpdate, leeway, -1) == 1 else {
            throw OCSPError(.stale, "thisUpdate/nextUpdate do not hold now: \(OpenSSLErrorQueue.drain())")
        }
        let answerStatus: OCSPAnswer.Status
        switch status {
        case V_OCSP_CERTSTATUS_GOOD: answerStatus = .good
        case V_OCSP_CERTSTATUS_REVOKED: answerStatus = .revoked(at: revoked.map { ocspDate($0) })
        default: answerStatus = .unknown
        }
        return OCSPAnswer(status: answerStatus, thisUpdate: ocspDate(thisUpdate), nextUpdate: nextUpdate.map(ocspDate))
    }
}

/// An OCSP GeneralizedTime as a `Date` (distant past when it cannot be read).
private func ocspDate(_ time: UnsafeMutablePointer<ASN1_GENERALIZEDTIME>) -> Date {
    var parts = tm()
    guard ASN1_TIME_to_tm(time, &parts) == 1 else { return .distantPast }
    return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
}
