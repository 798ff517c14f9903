import COpenSSL
import Foundation

/// One subjectAlternativeName entry.
public enum SubjectAlternativeName: Sendable, Hashable, CustomStringConvertible {
    /// A DNS name, e.g. `localhost`.
    case dnsName(String)
    /// An IP address as text: `127.0.0.1` or `::1`.
    case ipAddress(String)
    /// A URI, e.g. a SPIFFE ID `spiffe://example.org/service`.
    case uri(String)
    /// An RFC 822 email address.
    case email(String)

    /// OpenSSL's spelling: `DNS:localhost`, `IP:127.0.0.1`, `URI:…`, `email:…`.
    public var description: String {
        switch self {
        case .dnsName(let value): "DNS:\(value)"
        case .ipAddress(let value): "IP:\(value)"
        case .uri(let value): "URI:\(value)"
        case .email(let value): "email:\(value)"
        }
    }
}

/// An extendedKeyUsage purpose.
public enum ExtendedKeyUsage: Sendable, Hashable {
    /// TLS server authentication (1.3.6.1.5.5.7.3.1).
    case serverAuth
    /// TLS client authentication (1.3.6.1.5.5.7.3.2).
    case clientAuth
    /// Any other purpose, by dotted OID.
    case other(String)
}

extension Certificate {
    /// The subjectAlternativeName entries of the four supported kinds, in certificate order.
    public var subjectAlternativeNames: [SubjectAlternativeName] {
        self.withUnsafeX509 { x509 in
            guard let raw = X509_get_ext_d2i(x509, NID_subject_alt_name, nil, nil) else { return [] }
            let names = OpaquePointer(raw)
            defer { gatehouse_GENERAL_NAMES_free(names) }
            var result: [SubjectAlternativeName] = []
            for index in 0..<gatehouse_sk_GENERAL_NAME_num(names) {
                guard let name = gatehouse_sk_GENERAL_NAME_value(names, index) else { continue }
                if let entry = subjectAlternativeName(name.pointee) { result.append(entry) }
            }
            return result
        }
    }

    /// The extendedKeyUsage purposes; `nil` when the extension is absent (any purpose allowed). An extension that
    /// cannot be read (not valid DER, or present twice) allows no purpose: empty.
    public var extendedKeyUsage: [ExtendedKeyUsage]? {
        self.withUnsafeX509 { x509 in
            var found: Int32 = 0
            guard let raw = X509_get_ext_d2i(x509, NID_ext_key_usage, &found, nil) else {
                OpenSSLErrorQueue.clear()
                return found == -1 ? nil : []
            }
            let usages = OpaquePointer(raw)
            defer { gatehouse_EXTENDED_KEY_USAGE_free(usages) }
            var result: [ExtendedKeyUsage] = []
            for index in 0..<gatehouse_sk_ASN1_OBJECT_num(usages) {
                guard let object = gatehouse_sk_ASN1_OBJECT_value(usages, index) else { continue }
                switch OBJ_obj2nid(object) {
                case NID_server_auth: result.append(.serverAuth)
                case NID_client_auth: result.append(.clientAuth)
                default: result.append(.other(objectText(object)))
                }
            }
            return result
        }
    }

    /// Whether the certificate may be used for TLS client authentication: clientAuth EKU or no EKU at all (a
    /// malformed EKU allows nothing).
    ///
    /// Does not look at basicConstraints; check ``isCertificateAuthority`` as well.
    public var allowsClientAuthentication: Bool {
        guard let usages = self.extendedKeyUsage else { return true }
        return usages.contains(.clientAuth)
    }
}

private func subjectAlternativeName(_ name: GENERAL_NAME) -> SubjectAlternativeName? {
    switch name.type {
    case GEN_DNS: asn1Text(name.d.dNSName).map { .dnsName($0) }
    case GEN_URI: asn1Text(name.d.uniformResourceIdentifier).map { .uri($0) }
    case GEN_EMAIL: asn1Text(name.d.rfc822Name).map { .email($0) }
    case GEN_IPADD: ipText(name.d.iPAddress).map { .ipAddress($0) }
    default: nil
    }
}

private func asn1Text(_ string: UnsafeMutablePointer<ASN1_STRING>?) -> String? {
    guard let string, let data = ASN1_STRING_get0_data(string) else { return nil }
    let length = Int(ASN1_STRING_length(string))
    return String(decoding: UnsafeBufferPointer(start: data, count: length), as: UTF8.self)
}

private func ipText(_ string: UnsafeMutablePointer<ASN1_STRING>?) -> String? {
    guard let string, let data = ASN1_STRING_get0_data(string) else { return nil }
    let length = Int(ASN1_STRING_length(string))
    let family: Int32
    switch length {
    case 4: family = AF_INET
    case 16: family = AF_INET6
    default: return nil
    }
    var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
    guard inet_ntop(family, data, &buffer, socklen_t(buffer.count)) != nil else { return nil }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

private func objectText(_ object: OpaquePointer) -> String {
    var buffer = [CChar](repeating: 0, count: 128)
    let length = OBJ_obj2txt(&buffer, Int32(buffer.count), object, 1)
    guard length > 0 else { return "" }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
