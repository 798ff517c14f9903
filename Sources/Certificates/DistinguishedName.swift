import COpenSSL

/// A distinguished name compared as a name, not as a string.
///
/// `CN=client-a, O=Contoso` equals `CN=client-a,O=Contoso` and `cn=client-a,o=Contoso`: attribute types are
/// resolved to OIDs with OpenSSL (names case-insensitively), the RDN sequence must match in order, a
/// multi-valued RDN (`+`) compares as a set, and values compare exactly after RFC 4518's insignificant-space
/// handling (leading and trailing spaces dropped, inner runs of spaces collapsed to one). Values are
/// case-sensitive: stricter than X.520's caseIgnoreMatch, and what an allow-list of names should be.
/// String encodings do not matter (a UTF8String and a PrintableString with the same text are equal).
public struct DistinguishedName: Sendable, Hashable, CustomStringConvertible {
    /// One attribute: its type as a dotted OID and its normalized value.
    public struct Attribute: Sendable, Hashable, Comparable {
        /// The attribute type's OID, e.g. `2.5.4.3` for CN.
        public let oid: String
        /// The value, insignificant spaces removed.
        public let value: String

        /// Orders by OID, then value: the canonical order within a multi-valued RDN, so it compares as a set.
        public static func < (lhs: Attribute, rhs: Attribute) -> Bool {
            (lhs.oid, lhs.value) < (rhs.oid, rhs.value)
        }
    }

    /// The relative distinguished names in encoding order (most general first, the reverse of RFC 4514
    /// text); each RDN's attributes sorted.
    public let relativeNames: [[Attribute]]

    /// Parses RFC 4514 text such as `CN=client-a, O=Contoso` (the most specific RDN first).
    ///
    /// Accepts `,` or `;` between RDNs, `+` inside one, spaces around separators, `\`-escapes (`\,` and
    /// `\2C`), quoted values, and attribute types as short names, long names or dotted OIDs.
    /// - Throws: ``CertificateError/Code/invalidName`` saying what is wrong.
    public init(parsing text: String) throws {
        var parser = DistinguishedNameParser(text)
        let parsed = try parser.parse()
        guard !parsed.isEmpty else { throw CertificateError(.invalidName, "'\(text)': empty name") }
        self.relativeNames = parsed.reversed().map { $0.sorted() }
    }

    /// Reads an `X509_NAME`.
    package init(x509Name name: OpaquePointer?) {
        guard let name else {
            self.relativeNames = []
            return
        }
        var groups: [[Attribute]] = []
        var currentSet: Int32 = -1
        for index in 0..<X509_NAME_entry_count(name) {
            guard let entry = X509_NAME_get_entry(name, index) else { continue }
            let attribute = Attribute(
                oid: objectOID(X509_NAME_ENTRY_get_object(entry)),
                value: normalizeNameValue(entryText(X509_NAME_ENTRY_get_data(entry)))
            )
            let set = X509_NAME_ENTRY_set(entry)
            if set == currentSet, !groups.isEmpty {
                groups[groups.count - 1].append(attribute)
            } else {
                groups.append([attribute])
                currentSet = set
            }
        }
        self.relativeNames = groups.map { $0.sorted() }
    }

    /// RFC 4514 text with OpenSSL's short names, most specific RDN first.
    public var description: String {
        self.relativeNames.reversed().map { rdn in
            rdn.map { "\(shortName(forOID: $0.oid))=\(escapeNameValue($0.value))" }.joined(separator: "+")
        }.joined(separator: ",")
    }
}

extension Certificate {
    /// The subject, for structural comparison.
    public var subjectName: DistinguishedName {
        self.withUnsafeX509 { DistinguishedName(x509Name: X509_get_subject_name($0)) }
    }

    /// The issuer, for structural comparison.
    public var issuerName: DistinguishedName {
        self.withUnsafeX509 { DistinguishedName(x509Name: X509_get_issuer_name($0)) }
    }
}

/// RFC 4518-ish insignificant space handling: trim, and collapse inner runs of spaces to one.
func normalizeNameValue(_ value: String) -> String {
    value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
}

/// The dotted OID of an `ASN1_OBJECT`.
func objectOID(_ object: OpaquePointer?) -> String {
    guard let object else { return "" }
    var buffer = [CChar](repeating: 0, count: 128)
    let length = OBJ_obj2txt(&buffer, Int32(buffer.count), object, 1)
    guard length > 0 else { return "" }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

private func entryText(_ data: UnsafeMutablePointer<ASN1_STRING>?) -> String {
    guard let data else { return "" }
    var utf8: UnsafeMutablePointer<UInt8>? = nil
    let length = ASN1_STRING_to_UTF8(&utf8, data)
    guard length >= 0, let utf8 else { return "" }
    defer { CRYPTO_free(utf8, #fileID, #line) }
    return String(decoding: UnsafeBufferPointer(start: utf8, count: Int(length)), as: UTF8.self)
}

private func shortName(forOID oid: String) -> String {
    guard let object = OBJ_txt2obj(oid, 1) else { return oid }
    defer { ASN1_OBJECT_free(object) }
    let nid = OBJ_obj2nid(object)
    guard nid != NID_undef, let name = OBJ_nid2sn(nid) else { return oid }
    return String(cString: name)
}

private func escapeNameValue(_ value: String) -> String {
    // Unicode scalars, not characters: a special character followed by a combining mark is one Character that
    // is not equal to the special character, yet the parser reads the special character on its own.
    var out = String.UnicodeScalarView()
    for (offset, scalar) in value.unicodeScalars.enumerated() {
        if ",+\"\\<>;=".unicodeScalars.contains(scalar) || (offset == 0 && (scalar == "#" || scalar == " ")) {
            out.append("\\")
        }
        out.append(scalar)
    }
    return String(out)
}
