extension CertificateReport {
    /// Human-readable lines, one field per line, labels aligned.
    public var text: String {
        var lines: [(String, String)] = [
            ("Subject", self.subject),
            ("Issuer", self.issuer),
            ("Serial", self.serialNumber),
            ("Not before", self.notBefore),
            ("Not after", "\(self.notAfter) (\(self.remainingText))"),
            ("Key", self.keyText),
            ("CA", self.isCertificateAuthority ? "yes" : "no"),
        ]
        if !self.subjectAlternativeNames.isEmpty {
            lines.append(("SANs", self.subjectAlternativeNames.joined(separator: ", ")))
        }
        lines.append(("Key usage", self.keyUsage.map { $0.joined(separator: ", ") } ?? "(no extension: any)"))
        lines.append(
            ("Extended usage", self.extendedKeyUsage.map { $0.joined(separator: ", ") } ?? "(no extension: any)")
        )
        lines += [
            ("SHA-1", self.sha1.hex),
            ("", self.sha1.colons),
            ("SHA-256", self.sha256.hex),
            ("", self.sha256.colons),
            ("SPKI SHA-256", self.spkiSHA256),
            ("", self.spkiSHA256Base64),
        ]
        let width = lines.map(\.0.count).max() ?? 0
        return lines.map { label, value in
            let padded =
                label.isEmpty
                ? String(repeating: " ", count: width + 1)
                : label + ":" + String(repeating: " ", count: width - label.count)
            return padded + " " + value
        }.joined(separator: "\n")
    }

    private var remainingText: String {
        switch self.validity {
        case "expired": "expired \(-self.daysRemaining) days ago"
        case "not yet valid": "not yet valid"
        default: "\(self.daysRemaining) days remaining"
        }
    }

    private var keyText: String {
        if let curve = self.key.curve { return "\(self.key.algorithm) \(curve) (\(self.key.bits) bits)" }
        return "\(self.key.algorithm) \(self.key.bits) bits"
    }
}

extension CertificateFileReport {
    /// Human-readable text: a header per certificate when the file holds several.
    public var text: String {
        if self.certificates.count == 1 { return self.certificates[0].text + "\n" }
        return self.certificates.enumerated().map { index, report in
            "Certificate \(index + 1) of \(self.certificates.count) (\(self.format)):\n" + report.text + "\n"
        }.joined(separator: "\n")
    }
}
