import COpenSSL

/// A PEM password callback that never prompts: OpenSSL's default (a `nil` callback) asks on the terminal and blocks
/// the calling thread, so every PEM read passes this one.
///
/// `userdata` is `nil` (no password: the read of an encrypted block fails) or points to a ``PEMPasswordRequest``.
let pemPasswordCallback: PEMPasswordCallback = { buffer, size, _, userdata in
    guard let userdata else { return -1 }
    let request = userdata.assumingMemoryBound(to: PEMPasswordRequest.self)
    request.pointee.wasAsked = true
    guard let password = request.pointee.password, let buffer, password.count <= Int(size) else { return -1 }
    password.withUnsafeBytes { raw in
        if let base = raw.baseAddress { UnsafeMutableRawPointer(buffer).copyMemory(from: base, byteCount: raw.count) }
    }
    return Int32(password.count)
}

/// OpenSSL's `pem_password_cb`: fills the buffer, returns the password's length (or -1 for none).
typealias PEMPasswordCallback =
    @convention(c) (UnsafeMutablePointer<CChar>?, Int32, Int32, UnsafeMutableRawPointer?) -> Int32

/// What ``pemPasswordCallback`` gives OpenSSL, and whether OpenSSL asked (the data was encrypted).
struct PEMPasswordRequest {
    /// The password's bytes; `nil` when none was given.
    var password: [UInt8]?
    /// Set by the callback when OpenSSL needed a password.
    var wasAsked = false

    init(_ password: String?) {
        self.password = password.map { Array($0.utf8) }
    }
}
