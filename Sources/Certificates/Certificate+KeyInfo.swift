import COpenSSL

/// The algorithm and size of a certificate's public key, as `certs inspect` shows it.
public struct PublicKeyDescription: Sendable, Hashable, CustomStringConvertible {
    /// `EC`, `RSA`, `ED25519`, `ED448`, or OpenSSL's name for another algorithm.
    public let algorithm: String
    /// The key size in bits (the modulus for RSA, the field size for EC).
    public let bits: Int
    /// The NIST name of an EC curve (`P-256`), or OpenSSL's group name when it has none; `nil` for other keys.
    public let curve: String?

    /// Creates a description.
    public init(algorithm: String, bits: Int, curve: String?) {
        self.algorithm = algorithm
        self.bits = bits
        self.curve = curve
    }

    /// `EC P-256 (256 bits)`, `RSA 2048 bits`.
    public var description: String {
        if let curve { return "\(self.algorithm) \(curve) (\(self.bits) bits)" }
        return "\(self.algorithm) \(self.bits) bits"
    }
}

/// A keyUsage bit (RFC 5280 §4.2.1.3), named as OpenSSL's configuration spells it.
public enum KeyUsage: String, Sendable, Hashable, CaseIterable {
    /// Signatures other than on certificates and CRLs (TLS handshakes).
    case digitalSignature
    /// Also called contentCommitment.
    case nonRepudiation
    /// RSA key transport.
    case keyEncipherment
    /// Direct encryption of data (rare).
    case dataEncipherment
    /// Key agreement (ECDH).
    case keyAgreement
    /// Signing certificates: a CA's key.
    case keyCertSign
    /// Signing CRLs.
    case cRLSign
    /// With keyAgreement: only to encipher.
    case encipherOnly
    /// With keyAgreement: only to decipher.
    case decipherOnly

    fileprivate var bit: UInt32 {
        switch self {
        case .digitalSignature: UInt32(KU_DIGITAL_SIGNATURE)
        case .nonRepudiation: UInt32(KU_NON_REPUDIATION)
        case .keyEncipherment: UInt32(KU_KEY_ENCIPHERMENT)
        case .dataEncipherment: UInt32(KU_DATA_ENCIPHERMENT)
        case .keyAgreement: UInt32(KU_KEY_AGREEMENT)
        case .keyCertSign: UInt32(KU_KEY_CERT_SIGN)
        case .cRLSign: UInt32(KU_CRL_SIGN)
        case .encipherOnly: UInt32(KU_ENCIPHER_ONLY)
        case .decipherOnly: UInt32(KU_DECIPHER_ONLY)
        }
    }
}

extension Certificate {
    /// The public key's algorithm, size and curve.
    public var publicKeyDescription: PublicKeyDescription {
        self.withUnsafeX509 { x509 in
            guard let key = X509_get0_pubkey(x509) else {
                return PublicKeyDescription(algorithm: "unknown", bits: 0, curve: nil)
            }
            let bits = Int(EVP_PKEY_get_bits(key))
            switch EVP_PKEY_get_base_id(key) {
            case EVP_PKEY_RSA, EVP_PKEY_RSA_PSS: return PublicKeyDescription(algorithm: "RSA", bits: bits, curve: nil)
            case EVP_PKEY_EC: return PublicKeyDescription(algorithm: "EC", bits: bits, curve: curveName(key))
            case EVP_PKEY_ED25519: return PublicKeyDescription(algorithm: "ED25519", bits: bits, curve: nil)
            case EVP_PKEY_ED448: return PublicKeyDescription(algorithm: "ED448", bits: bits, curve: nil)
            default:
                let name = EVP_PKEY_get0_type_name(key).map { String(cString: $0) } ?? "unknown"
                return PublicKeyDescription(algorithm: name, bits: bits, curve: nil)
            }
        }
    }

    /// The keyUsage bits in RFC order; `nil` when the extension is absent (any usage allowed).
    public var keyUsage: [KeyUsage]? {
        self.withUnsafeX509 { x509 in
            // X509_get_key_usage caches the extensions; UINT32_MAX means "no keyUsage extension".
            let bits = X509_get_key_usage(x509)
            guard bits != UInt32.max else { return nil }
            return KeyUsage.allCases.filter { bits & $0.bit != 0 }
        }
    }

    /// Whether this certificate's signature verifies with `issuer`'s public key.
    public func isSigned(by issuer: Certificate) -> Bool {
        self.withUnsafeX509 { x509 in
            issuer.withUnsafeX509 { issuerX509 in
                guard let key = X509_get0_pubkey(issuerX509) else { return false }
                defer { OpenSSLErrorQueue.clear() }
                return X509_verify(x509, key) == 1
            }
        }
    }
}

private func curveName(_ key: OpaquePointer) -> String? {
    var buffer = [CChar](repeating: 0, count: 80)
    var length = 0
    guard EVP_PKEY_get_utf8_string_param(key, "group", &buffer, buffer.count, &length) == 1 else { return nil }
    let group = String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    let nid = OBJ_sn2nid(group)
    if nid != NID_undef, let nist = EC_curve_nid2nist(nid) { return String(cString: nist) }
    return group
}
