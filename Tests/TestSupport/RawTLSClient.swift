import COpenSSL
import Foundation

/// A blocking TLS client over a real loopback socket that sends exactly the bytes a test gives it: the
/// hostile client of the hardening tests (half a request, a header block without END_HEADERS, a body that
/// stops, a client that never reads). Server certificates are not verified: these tests judge the server.
public final class RawTLSClient {
    /// Why a connection or a read ended.
    public enum Failure: Error, CustomStringConvertible {
        /// `connect` failed with this errno.
        case connect(Int32)
        /// The TLS handshake failed, with OpenSSL's reason.
        case handshake(String)
        /// The peer closed the connection.
        case closed

        /// The failure in words: `connect failed: errno 111`, `TLS handshake failed: …`, `connection closed`.
        public var description: String {
            switch self {
            case .connect(let code): "connect failed: errno \(code)"
            case .handshake(let reason): "TLS handshake failed: \(reason)"
            case .closed: "connection closed"
            }
        }
    }

    /// The connected socket's descriptor, for tests that inspect or tune it (`getsockname`, `O_NONBLOCK`).
    public let socket: Int32
    private let context: OpaquePointer
    private let ssl: OpaquePointer
    /// OpenSSL's reason when a read ended in an error (for example the alert the server sent), else nil.
    public private(set) var readFailure: String?

    /// Connects to `host:port`, optionally presenting `certificateChainFile`/`keyFile`, offering `alpn`
    /// (wire names such as `h2`, `http/1.1`; none when empty). Throws ``Failure/handshake(_:)`` with OpenSSL's
    /// reason (for example an alert the server sent).
    public init(
        host: String = "127.0.0.1",
        port: Int,
        certificateChainFile: String? = nil,
        keyFile: String? = nil,
        alpn: [String] = ["http/1.1"]
    ) throws {
        _ = Self.ignoreBrokenPipes
        let socket = Self.makeSocket()
        let context = SSL_CTX_new(TLS_client_method())!
        var ssl: OpaquePointer?
        func fail(_ failure: Failure) -> Failure {
            if let ssl { SSL_free(ssl) }
            SSL_CTX_free(context)
            Glibc.close(socket)
            return failure
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr(host)
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw fail(.connect(errno)) }
        if let certificateChainFile, let keyFile {
            guard SSL_CTX_use_certificate_chain_file(context, certificateChainFile) == 1,
                SSL_CTX_use_PrivateKey_file(context, keyFile, SSL_FILETYPE_PEM) == 1
            else { throw fail(.handshake("cannot load \(certificateChainFile) / \(keyFile)")) }
        }
        ssl = SSL_new(context)
        if !alpn.isEmpty {
            let wire = alpn.flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) }
            _ = SSL_set_alpn_protos(ssl, wire, UInt32(wire.count))
        }
        SSL_set_fd(ssl, socket)
        ERR_clear_error()
        guard SSL_connect(ssl) == 1 else { throw fail(.handshake(Self.errorText())) }
        self.socket = socket
        self.context = context
        self.ssl = ssl!
    }

    /// A TCP socket that child processes do not inherit (a child holding it would keep the connection open after
    /// the test closes it), at a descriptor number of 256 or more: Foundation's `Process` can close a pipe
    /// descriptor twice under concurrency (swiftlang/swift#57827), and the second close hits whatever the process
    /// opened meanwhile at that number, which is always the lowest free one.
    private static func makeSocket() -> Int32 {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        let high = fcntl(socket, F_DUPFD_CLOEXEC, 256)
        guard high >= 0 else { return socket }
        Glibc.close(socket)
        return high
    }

    /// Writing to a connection the server has closed must fail with EPIPE, not end the test process (SIGPIPE).
    private static let ignoreBrokenPipes: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

    deinit {
        SSL_free(self.ssl)
        SSL_CTX_free(self.context)
        Glibc.close(self.socket)
    }

    /// The protocol the server selected with ALPN, or nil.
    public var negotiatedALPN: String? {
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(self.ssl, &data, &length)
        guard let data, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    /// The certificate the server presented (DER), or nil.
    public var peerCertificateDER: [UInt8]? {
        guard let certificate = SSL_get1_peer_certificate(self.ssl) else { return nil }
        defer { X509_free(certificate) }
        let length = i2d_X509(certificate, nil)
        guard length > 0 else { return nil }
        var bytes = [UInt8](repeating: 0, count: Int(length))
        bytes.withUnsafeMutableBufferPointer { buffer in
            var cursor = buffer.baseAddress
            _ = i2d_X509(certificate, &cursor)
        }
        return bytes
    }

    /// Writes all of `bytes`; false once the server has closed the connection.
    @discardableResult
    public func send(_ bytes: [UInt8]) -> Bool {
        guard !bytes.isEmpty else { return true }
        return bytes.withUnsafeBytes { SSL_write(self.ssl, $0.baseAddress, Int32($0.count)) == Int32(bytes.count) }
    }

    /// Writes `text` as UTF-8.
    @discardableResult
    public func send(_ text: String) -> Bool { self.send(Array(text.utf8)) }

    /// Reads what arrives within `timeout` seconds, until `isComplete` holds or the server closes.
    /// Returns what was read and whether the server closed the connection.
    public func receive(timeout: Double, until isComplete: ([UInt8]) -> Bool = { _ in false }) -> (
        bytes: [UInt8], closed: Bool
    ) {
        var received: [UInt8] = []
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while !isComplete(received) {
            if SSL_pending(self.ssl) == 0 {
                let remaining = deadline.timeIntervalSinceNow
                guard remaining > 0 else { return (received, false) }
                var poll = pollfd(fd: self.socket, events: Int16(POLLIN), revents: 0)
                guard Glibc.poll(&poll, 1, Int32(remaining * 1000)) > 0 else { return (received, false) }
            }
            let count = buffer.withUnsafeMutableBytes { SSL_read(self.ssl, $0.baseAddress, Int32($0.count)) }
            if count <= 0 {
                let error = SSL_get_error(self.ssl, count)
                if error == SSL_ERROR_WANT_READ { continue }
                if error == SSL_ERROR_SSL { self.readFailure = Self.errorText() }
                return (received, true)
            }
            received += buffer[0..<Int(count)]
        }
        return (received, false)
    }

    /// Reads until `text` appears (or the timeout, or the close); returns everything read as text.
    public func receiveText(timeout: Double, containing text: String) -> (text: String, closed: Bool) {
        let result = self.receive(timeout: timeout) { String(decoding: $0, as: UTF8.self).contains(text) }
        return (String(decoding: result.bytes, as: UTF8.self), result.closed)
    }

    /// Waits up to `timeout` seconds for the server to close the connection, discarding what it sends.
    public func waitForClose(timeout: Double) -> Bool {
        self.receive(timeout: timeout).closed
    }

    private static func errorText() -> String {
        var parts: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            var buffer = [UInt8](repeating: 0, count: 256)
            buffer.withUnsafeMutableBufferPointer { pointer in
                pointer.withMemoryRebound(to: CChar.self) { ERR_error_string_n(code, $0.baseAddress, $0.count) }
            }
            parts.append(String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self))
        }
        return parts.isEmpty ? "no OpenSSL error (connection closed)" : parts.joined(separator: "; ")
    }
}

/// What a process holds, read from `/proc/PID`: the measure of every "bounded" claim in the hardening tests.
public struct ProcessResources: Sendable, CustomStringConvertible {
    /// Resident memory in KiB that is not file-backed (`RssAnon` + `RssShmem`): what a client can make the server
    /// hold. The executable's code pages are left out: `gatehouse serve` gives back those only start-up used and
    /// faults code in as it first runs it, bounded by the binary whatever the client does.
    public let residentKiB: Int
    /// Open file descriptors (entries of `/proc/PID/fd`).
    public let openDescriptors: Int

    /// Reads `pid`'s resources now.
    public init(pid: Int32) throws {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        func kib(_ key: String) -> Int {
            let line = status.split(separator: "\n").first { $0.hasPrefix(key) } ?? ""
            return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
        }
        self.residentKiB = kib("RssAnon:") + kib("RssShmem:")
        self.openDescriptors = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count
    }

    /// `RSS <n> KiB, <n> descriptors`, for assertion messages.
    public var description: String { "RSS \(self.residentKiB) KiB, \(self.openDescriptors) descriptors" }
}
