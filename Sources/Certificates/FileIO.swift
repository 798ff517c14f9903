import Foundation

/// Reads a whole file.
/// - Throws: ``CertificateError/Code/unreadableFile`` naming the file.
func readFileBytes(_ path: String) throws -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw CertificateError(.unreadableFile, "\(path): cannot read the file")
    }
    return [UInt8](data)
}

/// Writes `bytes` to `path` atomically with the given POSIX permissions (e.g. `0o600` for keys).
///
/// The file is created with `mode` before any byte is written, so a secret is never world-readable.
/// - Throws: ``CertificateError/Code/writeFailed`` naming the file.
func writeFileBytes(_ bytes: [UInt8], to path: String, mode: mode_t) throws {
    let temporary = path + ".tmp-\(getpid())"
    let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, mode)
    guard descriptor >= 0 else {
        throw CertificateError(.writeFailed, "\(path): \(String(cString: strerror(errno)))")
    }
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeBytes { raw in
            write(descriptor, raw.baseAddress! + offset, raw.count - offset)
        }
        if written < 0 {
            if errno == EINTR { continue }
            let reason = String(cString: strerror(errno))
            close(descriptor)
            unlink(temporary)
            throw CertificateError(.writeFailed, "\(path): \(reason)")
        }
        offset += written
    }
    fchmod(descriptor, mode)
    close(descriptor)
    guard rename(temporary, path) == 0 else {
        let reason = String(cString: strerror(errno))
        unlink(temporary)
        throw CertificateError(.writeFailed, "\(path): \(reason)")
    }
}
