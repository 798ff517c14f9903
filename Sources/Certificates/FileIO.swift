package import Foundation

/// Reads a whole file.
/// - Throws: ``CertificateError/Code/unreadableFile`` naming the file.
package func readFileBytes(_ path: String) throws -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw CertificateError(.unreadableFile, "\(path): cannot read the file")
    }
    return [UInt8](data)
}

/// Reads a password from a file: its first line, without the line ending (as `openssl -passin file:` does).
/// - Throws: ``CertificateError/Code/unreadableFile`` naming the file.
public func readPasswordFile(_ path: String) throws -> String {
    let bytes = try readFileBytes(path)
    var line = bytes.prefix { $0 != 0x0A }
    if line.last == 0x0D { line = line.dropLast() }
    return String(decoding: line, as: UTF8.self)
}

/// Writes `bytes` to `path` with the given POSIX permissions (`0o600` for keys, PFX and password files), never
/// through a symbolic link.
///
/// Without `overwrite` the file is created with `O_CREAT|O_EXCL|O_NOFOLLOW`: an existing file or link at `path` is
/// an error and stays untouched. With `overwrite` the bytes go to a new temporary file in the same directory
/// (created the same way), which is then renamed over `path`: a link at `path` is replaced itself, its target is
/// never written. Either way the file has `mode` before its first byte is written.
/// - Throws: ``CertificateError/Code/fileExists`` (an existing file or link, without `overwrite`) or
///   ``CertificateError/Code/writeFailed``, naming the file.
package func writeFileBytes(_ bytes: [UInt8], to path: String, mode: mode_t, overwrite: Bool) throws {
    guard overwrite else {
        let descriptor = try createExclusively(path, mode: mode)
        do {
            try writeAll(bytes, to: descriptor, mode: mode, path: path)
        } catch {
            unlink(path)
            throw error
        }
        return
    }
    let (temporary, descriptor) = try createTemporary(beside: path, mode: mode)
    do {
        try writeAll(bytes, to: descriptor, mode: mode, path: path)
        guard rename(temporary, path) == 0 else { throw CertificateError(.writeFailed, "\(path): \(errnoText())") }
    } catch {
        unlink(temporary)
        throw error
    }
}

/// Writes a public file (mode 0644, e.g. a CRL) the way ``writeFileBytes(_:to:mode:overwrite:)`` does: never through a
/// symbolic link.
package func writePublicFile(_ bytes: [UInt8], to path: String, overwrite: Bool) throws {
    try writeFileBytes(bytes, to: path, mode: 0o644, overwrite: overwrite)
}

/// Whether anything (a file, directory or symbolic link, even a dangling one) exists at `path`.
package func entryExists(_ path: String) -> Bool {
    var status = stat()
    return lstat(path, &status) == 0
}

/// Throws ``CertificateError/Code/fileExists`` for the first of `paths` where a file or link exists.
package func refuseExisting(_ paths: [String]) throws {
    for path in paths where entryExists(path) {
        throw existingEntryError(path)
    }
}

/// The error for an existing entry at `path`; a symbolic link is named as one, with its target.
private func existingEntryError(_ path: String) -> CertificateError {
    if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) {
        return CertificateError(
            .fileExists,
            "\(path) is a symbolic link (to \(target)); files are never written through one"
        )
    }
    return CertificateError(.fileExists, "\(path) already exists")
}

private func createExclusively(_ path: String, mode: mode_t) throws -> Int32 {
    let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
    guard descriptor >= 0 else {
        if errno == EEXIST || errno == ELOOP { throw existingEntryError(path) }
        throw CertificateError(.writeFailed, "\(path): \(errnoText())")
    }
    return descriptor
}

/// A new file `PATH.tmp-PID-RANDOM` beside `path`, created exclusively (a name that exists is never reused).
private func createTemporary(beside path: String, mode: mode_t) throws -> (String, Int32) {
    for _ in 0..<8 {
        let temporary = path + ".tmp-\(getpid())-\(String(UInt32.random(in: .min ... .max), radix: 16))"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        if descriptor >= 0 { return (temporary, descriptor) }
        if errno != EEXIST { throw CertificateError(.writeFailed, "\(temporary): \(errnoText())") }
    }
    throw CertificateError(.writeFailed, "\(path): no free temporary file name beside it")
}

/// Writes every byte, sets `mode` exactly (the umask may have narrowed it), syncs and closes `descriptor`.
private func writeAll(_ bytes: [UInt8], to descriptor: Int32, mode: mode_t, path: String) throws {
    defer { close(descriptor) }
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeBytes { raw in
            write(descriptor, raw.baseAddress! + offset, raw.count - offset)
        }
        if written < 0 {
            if errno == EINTR { continue }
            throw CertificateError(.writeFailed, "\(path): \(errnoText())")
        }
        offset += written
    }
    guard fchmod(descriptor, mode) == 0, fsync(descriptor) == 0 else {
        throw CertificateError(.writeFailed, "\(path): \(errnoText())")
    }
}

private func errnoText() -> String { String(cString: strerror(errno)) }
