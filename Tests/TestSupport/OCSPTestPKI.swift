import Foundation
public import GatehouseCertificateAuthority
import GatehouseCertificates

/// A small PKI for OCSP tests: a root CA, leaves whose Authority Information Access names a responder on `port`,
/// responder certificates (delegated with the OCSP-signing EKU, and one without it), and the `openssl ca` index
/// that `openssl ocsp` answers from (`good` valid, `revoked` revoked, `unlisted` absent: `unknown`).
public struct OCSPTestPKI: Sendable {
    /// What signs the responder's answers.
    public enum Signer: Sendable {
        /// A certificate the root issued with the OCSP-signing EKU.
        case delegated
        /// The root CA itself.
        case issuer
        /// A certificate the root issued without the OCSP-signing EKU: not authorized to answer for the root.
        case unauthorized
        /// A responder certificate of another root.
        case stranger
    }

    /// The folder holding every file (removed by ``remove()``).
    public let directory: String
    /// The port the leaves' AIA names (`http://127.0.0.1:PORT`); a responder is started on it.
    public let port: Int
    /// The root CA that issues everything; the policy trusts it.
    public let root: CertificateAuthority
    /// The root CA's PEM file.
    public let rootFile: String
    /// A leaf the index lists as valid.
    public let good: TestIdentity
    /// A leaf the index lists as revoked (an hour ago).
    public let revoked: TestIdentity
    /// A leaf the index does not list: the responder answers `unknown`.
    public let unlisted: TestIdentity
    /// A leaf without an AIA OCSP URL (`good` in the index).
    public let withoutAIA: TestIdentity
    /// The `openssl ca` database the responder answers from.
    public let indexFile: String

    /// `http://127.0.0.1:PORT`.
    public var responderURL: String { "http://127.0.0.1:\(self.port)" }

    /// Mints everything into a new temporary folder; the leaves name `http://127.0.0.1:port`.
    public init(port: Int) throws {
        let directory = (FileManager.default.temporaryDirectory.path as NSString)
            .appendingPathComponent("gatehouse-ocsp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        self.directory = directory
        self.port = port
        let now = Date()
        func spec(_ name: String, _ kind: CertificateSpec.Kind, aia: Bool = true) -> CertificateSpec {
            var spec = CertificateSpec(
                subject: [.organization("Gatehouse OCSP Tests"), .commonName(name)],
                kind: kind,
                notBefore: now.addingTimeInterval(-86_400),
                notAfter: now.addingTimeInterval(30 * 86_400)
            )
            if aia, kind == .client { spec.ocspResponderURL = "http://127.0.0.1:\(port)" }
            return spec
        }
        let root = try CertificateAuthority.createRoot(spec("OCSP Test Root CA", .rootCA))
        self.root = root
        self.rootFile = try Self.write([root.certificate], to: directory, as: "ca.crt")
        func leaf(_ name: String, aia: Bool = true) throws -> TestIdentity {
            let issued = try root.issue(spec(name, .client, aia: aia))
            let certificateFile = try Self.write([issued.certificate], to: directory, as: "\(name).crt")
            return TestIdentity(
                name: name,
                certificate: issued.certificate,
                key: issued.key,
                chain: [issued.certificate],
                certificateFile: certificateFile,
                keyFile: try Self.write(issued.key.pemBytes(), to: directory, as: "\(name).key"),
                chainFile: certificateFile
            )
        }
        self.good = try leaf("good")
        self.revoked = try leaf("revoked")
        self.unlisted = try leaf("unlisted")
        self.withoutAIA = try leaf("without-aia", aia: false)
        let delegated = try root.issue(spec("OCSP Responder", .ocspResponder))
        try Self.writePair(delegated, to: directory, as: "responder")
        try Self.writePair(IssuedCertificate(certificate: root.certificate, key: root.key), to: directory, as: "issuer")
        try Self.writePair(
            try root.issue(spec("Not A Responder", .client, aia: false)),
            to: directory,
            as: "unauthorized"
        )
        let stranger = try CertificateAuthority.createRoot(spec("Stranger Root CA", .rootCA))
        try Self.writePair(
            try stranger.issue(spec("Stranger Responder", .ocspResponder)),
            to: directory,
            as: "stranger"
        )
        let expiry = Self.indexTime(now.addingTimeInterval(30 * 86_400))
        let revokedAt = Self.indexTime(now.addingTimeInterval(-3600))
        let lines = [
            "V\t\(expiry)\t\t\(Self.indexSerial(self.good.certificate))\tunknown\t/CN=good",
            "R\t\(expiry)\t\(revokedAt)\t\(Self.indexSerial(self.revoked.certificate))\tunknown\t/CN=revoked",
            "V\t\(expiry)\t\t\(Self.indexSerial(self.withoutAIA.certificate))\tunknown\t/CN=without-aia",
        ]
        self.indexFile = (directory as NSString).appendingPathComponent("index.txt")
        try (lines.joined(separator: "\n") + "\n").write(toFile: self.indexFile, atomically: true, encoding: .utf8)
    }

    /// The `openssl ocsp` arguments answering from the index, signed by `signer`; `extra` appended.
    public func responderArguments(signer: Signer, _ extra: [String] = []) -> [String] {
        let name: String
        switch signer {
        case .delegated: name = "responder"
        case .issuer: name = "issuer"
        case .unauthorized: name = "unauthorized"
        case .stranger: name = "stranger"
        }
        return [
            "ocsp", "-index", self.indexFile, "-CA", self.rootFile,
            "-rsigner", (self.directory as NSString).appendingPathComponent("\(name).crt"),
            "-rkey", (self.directory as NSString).appendingPathComponent("\(name).key"),
        ] + extra
    }

    /// Removes the folder.
    public func remove() {
        try? FileManager.default.removeItem(atPath: self.directory)
    }

    /// The serial as the index spells it: uppercase hex, whole bytes.
    private static func indexSerial(_ certificate: Certificate) -> String {
        let hex = certificate.serialNumberHex
        return hex.count % 2 == 0 ? hex : "0" + hex
    }

    /// `YYMMDDHHMMSSZ`, UTC.
    private static func indexTime(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyMMddHHmmss"
        return formatter.string(from: date) + "Z"
    }

    private static func writePair(_ issued: IssuedCertificate, to directory: String, as name: String) throws {
        _ = try Self.write([issued.certificate], to: directory, as: "\(name).crt")
        _ = try Self.write(issued.key.pemBytes(), to: directory, as: "\(name).key")
    }

    private static func write(_ certificates: [Certificate], to directory: String, as name: String) throws -> String {
        try Self.write(Array(certificates.pemString.utf8), to: directory, as: name)
    }

    private static func write(_ bytes: [UInt8], to directory: String, as name: String) throws -> String {
        let path = (directory as NSString).appendingPathComponent(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
}

/// A real `openssl ocsp` responder on 127.0.0.1, started by a test and stopped by its PID.
public final class OCSPResponderProcess: @unchecked Sendable {  // `errors` is guarded by `condition`
    private let process = Process()
    private let condition = NSCondition()
    private var errors = ""
    private var output = ""

    /// Starts `openssl` with `arguments` plus `-port PORT` and waits until it accepts connections.
    public convenience init(arguments: [String], port: Int) throws {
        try self.init(command: ["openssl"] + arguments + ["-port", "\(port)"])
    }

    /// Starts `command` (found on the `PATH`) and waits until it prints `ACCEPT …:PORT` on standard output, as
    /// `openssl ocsp` does.
    public init(command: [String]) throws {
        self.process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        self.process.arguments = command
        let standardOutput = Pipe()
        let standardError = Pipe()
        self.process.standardOutput = standardOutput
        self.process.standardError = standardError
        try self.process.run()
        self.drain(standardOutput.fileHandleForReading) { $0.output += $1 }
        self.drain(standardError.fileHandleForReading) { $0.errors += $1 }
        let deadline = Date().addingTimeInterval(30)
        self.condition.lock()
        defer { self.condition.unlock() }
        while !self.output.contains("ACCEPT"), self.process.isRunning {
            guard self.condition.wait(until: deadline) else { break }
        }
        guard self.output.contains("ACCEPT") else {
            throw POSIXError(.ECONNREFUSED)
        }
    }

    private func drain(_ handle: FileHandle, into append: @escaping @Sendable (OCSPResponderProcess, String) -> Void) {
        Thread.detachNewThread { [self] in
            while true {
                let chunk = handle.availableData
                self.condition.lock()
                append(self, String(decoding: chunk, as: UTF8.self))
                self.condition.broadcast()
                self.condition.unlock()
                if chunk.isEmpty { return }
            }
        }
    }

    /// The port from the `ACCEPT …:PORT` line.
    public var port: Int? {
        self.condition.lock()
        defer { self.condition.unlock() }
        let line = self.output.split(separator: "\n").first { $0.hasPrefix("ACCEPT") } ?? ""
        return line.split(separator: " ").dropFirst().first.flatMap { $0.split(separator: ":").last }
            .flatMap { Int($0) }
    }

    /// The process id.
    public var pid: Int32 { self.process.processIdentifier }

    /// How many requests the responder has received (it logs each one on standard error).
    public var requestCount: Int {
        self.condition.lock()
        defer { self.condition.unlock() }
        return self.errors.components(separatedBy: "Received request").count - 1
    }

    /// Stops the responder: SIGKILL (it keeps no state, and a child of the test runner may inherit SIGTERM
    /// ignored), without waiting, so that no thread of the concurrency pool blocks.
    public func stop() {
        guard self.process.isRunning else { return }
        kill(self.pid, SIGKILL)
    }

    /// Starts `openssl` as ``init(arguments:port:)`` does, waiting on a thread of its own: a wait for a slow child
    /// must never hold one of the concurrency pool's few threads (every other test's server would stall).
    public static func start(arguments: [String], port: Int) async throws -> OCSPResponderProcess {
        try await Self.onOwnThread { try OCSPResponderProcess(arguments: arguments, port: port) }
    }

    /// Starts `command` as ``init(command:)`` does, waiting on a thread of its own.
    public static func start(command: [String]) async throws -> OCSPResponderProcess {
        try await Self.onOwnThread { try OCSPResponderProcess(command: command) }
    }

    private static func onOwnThread(
        _ body: @escaping @Sendable () throws -> OCSPResponderProcess
    ) async throws -> OCSPResponderProcess {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
        }
    }

    deinit {
        if self.process.isRunning { kill(self.pid, SIGKILL) }
    }
}

extension OCSPTestPKI {
    /// A TCP port that was free on 127.0.0.1 a moment ago.
    public static func freePort() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw POSIXError(.EMFILE) }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sockaddr in
                Glibc.bind(socket, sockaddr, length) == 0 && getsockname(socket, sockaddr, &length) == 0
            }
        }
        guard bound else { throw POSIXError(.EADDRINUSE) }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
