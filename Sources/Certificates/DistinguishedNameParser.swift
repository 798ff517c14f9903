import COpenSSL

/// Splits RFC 4514 text into RDNs of (OID, value), most specific first, as written.
struct DistinguishedNameParser {
    private let text: String
    private let scalars: [Unicode.Scalar]
    private var position = 0

    init(_ text: String) {
        self.text = text
        self.scalars = Array(text.unicodeScalars)
    }

    mutating func parse() throws -> [[DistinguishedName.Attribute]] {
        var names: [[DistinguishedName.Attribute]] = []
        var current: [DistinguishedName.Attribute] = []
        self.skipSpaces()
        guard self.position < self.scalars.count else { return [] }
        while true {
            current.append(try self.attribute())
            self.skipSpaces()
            guard self.position < self.scalars.count else { break }
            let separator = self.scalars[self.position]
            self.position += 1
            if separator != "+" {
                names.append(current)
                current = []
            }
            self.skipSpaces()
        }
        names.append(current)
        return names
    }

    private mutating func attribute() throws -> DistinguishedName.Attribute {
        var type = ""
        while self.position < self.scalars.count, self.scalars[self.position] != "=" {
            type.unicodeScalars.append(self.scalars[self.position])
            self.position += 1
        }
        guard self.position < self.scalars.count else { throw self.error("'=' missing after '\(type)'") }
        self.position += 1  // '='
        let oid = try self.resolve(type.trimmingSpaces)
        self.skipSpaces()
        let value = try self.value()
        return DistinguishedName.Attribute(oid: oid, value: normalizeNameValue(value))
    }

    private mutating func value() throws -> String {
        if self.position < self.scalars.count, self.scalars[self.position] == "#" {
            throw self.error("hex-encoded (#) values are not supported")
        }
        if self.position < self.scalars.count, self.scalars[self.position] == "\"" {
            return try self.quotedValue()
        }
        var bytes: [UInt8] = []
        while self.position < self.scalars.count {
            let scalar = self.scalars[self.position]
            if scalar == "," || scalar == ";" || scalar == "+" { break }
            self.position += 1
            if scalar == "\\" {
                bytes += try self.escaped()
            } else {
                bytes += Array(String(scalar).utf8)
            }
        }
        return try self.utf8(bytes)
    }

    private mutating func quotedValue() throws -> String {
        self.position += 1  // opening quote
        var bytes: [UInt8] = []
        while self.position < self.scalars.count {
            let scalar = self.scalars[self.position]
            self.position += 1
            if scalar == "\"" { return try self.utf8(bytes) }
            if scalar == "\\" { bytes += try self.escaped() } else { bytes += Array(String(scalar).utf8) }
        }
        throw self.error("unterminated quoted value")
    }

    /// After a backslash: a special character as it is, or two hex digits as one byte.
    private mutating func escaped() throws -> [UInt8] {
        guard self.position < self.scalars.count else { throw self.error("'\\' at the end") }
        let first = self.scalars[self.position]
        if let high = hexValue(first) {
            guard self.position + 1 < self.scalars.count, let low = hexValue(self.scalars[self.position + 1]) else {
                throw self.error("'\\' must be followed by a special character or two hex digits")
            }
            self.position += 2
            return [UInt8(high << 4 | low)]
        }
        self.position += 1
        return Array(String(first).utf8)
    }

    private func utf8(_ bytes: [UInt8]) throws -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else { throw self.error("value is not UTF-8") }
        return text
    }

    private func resolve(_ type: String) throws -> String {
        guard !type.isEmpty else { throw self.error("an attribute type is missing") }
        let candidates = [type, nameAliases[type.lowercased()]].compactMap { $0 }
        for candidate in candidates {
            let isDotted = candidate.first.map { $0.isNumber } ?? false
            guard let object = OBJ_txt2obj(candidate, isDotted ? 1 : 0) else { continue }
            defer { ASN1_OBJECT_free(object) }
            // Some OpenSSL names (HMAC, for one) are algorithms without an OID; they cannot name an attribute.
            let oid = objectOID(object)
            if !oid.isEmpty { return oid }
        }
        OpenSSLErrorQueue.clear()
        throw self.error("unknown attribute type '\(type)'")
    }

    private mutating func skipSpaces() {
        while self.position < self.scalars.count, self.scalars[self.position] == " " { self.position += 1 }
    }

    private func error(_ what: String) -> CertificateError {
        CertificateError(.invalidName, "'\(self.text)': \(what)")
    }
}

/// Attribute type names people write, lower-cased, to OpenSSL's names.
private let nameAliases: [String: String] = [
    "cn": "CN", "commonname": "CN", "o": "O", "ou": "OU", "c": "C", "l": "L", "st": "ST", "s": "ST",
    "street": "street", "dc": "DC", "uid": "UID", "e": "emailAddress", "email": "emailAddress",
    "emailaddress": "emailAddress", "serialnumber": "serialNumber", "title": "title", "gn": "GN",
    "givenname": "GN", "sn": "SN", "surname": "SN", "initials": "initials", "pseudonym": "pseudonym",
    "postalcode": "postalCode", "description": "description", "organizationidentifier": "organizationIdentifier",
]

private func hexValue(_ scalar: Unicode.Scalar) -> UInt32? {
    switch scalar {
    case "0"..."9": scalar.value - 48
    case "a"..."f": scalar.value - 87
    case "A"..."F": scalar.value - 55
    default: nil
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        String(self.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
