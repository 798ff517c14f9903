import ArgumentParser
import GatehouseCertificates

/// The help sentence for a password given as an argument: other users see it in `ps`.
let visiblePasswordWarning = "Visible to other users in `ps` and kept in shell history"

/// A password from its option or its `-file` option (the file's first line); `nil` when neither is given.
/// - Throws: ``CertificateError`` naming the file when it cannot be read.
func resolvePassword(_ value: String?, file: String?) throws -> String? {
    guard let file else { return value }
    return try readPasswordFile(file)
}

/// `--pfx-compatibility`: which programs the written PFX must open in.
enum PFXCompatibilityArgument: String, ExpressibleByArgument, CaseIterable {
    case modern, legacy

    /// The option's help.
    static let help = ArgumentHelp(
        "modern (AES-256, SHA-256 MAC) or legacy (3DES, SHA-1 MAC: for older Windows and keychain imports that "
            + "refuse the modern file)."
    )

    var compatibility: PKCS12Compatibility {
        switch self {
        case .modern: .modern
        case .legacy: .legacy
        }
    }
}

/// Refuses a password given both ways.
func validatePasswordOptions(_ value: String?, file: String?, names: (String, String)) throws {
    if value != nil && file != nil { throw ValidationError("use either \(names.0) or \(names.1), not both") }
    if let file, file.isEmpty { throw ValidationError("\(names.1) must not be empty") }
}

/// `password`, refusing an empty one read from `file` (an empty PFX password is no protection).
func nonEmptyPassword(_ password: String?, _ file: String?) throws -> String? {
    if let file, password?.isEmpty == true {
        throw CertificateError(.unreadableFile, "\(file): the password file's first line is empty")
    }
    return password
}
