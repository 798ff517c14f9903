import GatehouseCertificates

/// RFC 4514 text through ``DistinguishedName/init(parsing:)``; a name it accepts must print
/// (``DistinguishedName/description``) as text that parses back to the same name, since policies compare names
/// written in configuration files with names printed from certificates.
enum DistinguishedNameTarget {
    static func run(_ input: UnsafeRawBufferPointer) {
        let text = String(decoding: input, as: UTF8.self)
        guard let name = try? DistinguishedName(parsing: text) else { return }
        let printed = name.description
        let reparsed: DistinguishedName
        do {
            reparsed = try DistinguishedName(parsing: printed)
        } catch {
            preconditionFailure(
                "\(Array(text.utf8)) parses, but prints as \(Array(printed.utf8)), which does not: \(error)"
            )
        }
        precondition(
            reparsed == name,
            "\(Array(text.utf8)) prints as \(Array(printed.utf8)), which parses to \(reparsed.relativeNames), not \(name.relativeNames)"
        )
    }
}
