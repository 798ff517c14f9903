import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A listener that cannot listen: names the address, says why in words and what to do.
///
/// ```
/// cannot listen on 127.0.0.1:8443: the address is already in use: another process listens on this port; stop it
/// or choose another port
/// ```
///
/// ``Server/start()`` throws it for a bind failure. Equality and hashing use the code only.
public struct ListenerError: Error, CustomStringConvertible, Hashable {
    /// Why the listener cannot listen, as a stable code.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case addressInUse, permissionDenied, addressNotAvailable, unknownHost, bindFailed
        }
        private let base: Base
        /// The code's name, e.g. `addressInUse`: stable, for logs and matching.
        public var description: String { self.base.rawValue }

        /// Another socket is bound to the address and port (`EADDRINUSE`).
        public static let addressInUse = Code(base: .addressInUse)
        /// The process may not bind the port, e.g. one below 1024 without privilege (`EACCES`).
        public static let permissionDenied = Code(base: .permissionDenied)
        /// The address is not one of this machine's (`EADDRNOTAVAIL`).
        public static let addressNotAvailable = Code(base: .addressNotAvailable)
        /// The host name does not resolve to an address.
        public static let unknownHost = Code(base: .unknownHost)
        /// Another bind failure; the message carries the system's words.
        public static let bindFailed = Code(base: .bindFailed)
    }

    /// The kind of failure.
    public let code: Code
    /// The index of the listener in ``ServerConfiguration/listeners``.
    public let listenerIndex: Int
    /// The host the listener was configured with.
    public let host: String
    /// The port the listener was configured with.
    public let port: Int
    /// What is wrong and what to do, in words.
    public let problem: String
    /// The underlying error, for logs.
    public let detail: String

    /// `host:port`, with brackets around an IPv6 address.
    public var address: String { self.host.contains(":") ? "[\(self.host)]:\(self.port)" : "\(self.host):\(self.port)" }

    /// `cannot listen on <address>: <problem>`, as in the example above.
    public var description: String { "cannot listen on \(self.address): \(self.problem)" }

    /// Explains `error`, thrown while binding `host` and `port` (the listener at `index`).
    init(binding host: String, port: Int, index: Int, error: any Error) {
        self.listenerIndex = index
        self.host = host
        self.port = port
        self.detail = "\(error)"
        let errno: Int32? = (error as? IOError)?.errnoCode
        switch errno {
        case EADDRINUSE?:
            self.code = .addressInUse
            self.problem =
                "the address is already in use: another process listens on this port; stop it or choose "
                + "another port"
        case EACCES?, EPERM?:
            self.code = .permissionDenied
            self.problem =
                port < 1024 && port != 0
                ? "permission denied: ports below 1024 need root or the CAP_NET_BIND_SERVICE capability; choose a "
                    + "port of 1024 or above, or grant the capability (setcap cap_net_bind_service=+ep EXECUTABLE)"
                : "permission denied: the system does not let this process listen there; choose another port"
        case EADDRNOTAVAIL?:
            self.code = .addressNotAvailable
            self.problem =
                "the address is not one of this machine's; use one of its addresses, 127.0.0.1 (or ::1) "
                + "for this machine only, or 0.0.0.0 (or ::) for every interface"
        case let code?:
            self.code = .bindFailed
            self.problem = String(cString: strerror(code)).lowercased()
        case nil where error is SocketAddressError.UnknownHost || error is SocketAddressError:
            self.code = .unknownHost
            let reason =
                (error as? SocketAddressError.UnknownHost).map { " (\($0.errorDescription.lowercased()))" } ?? ""
            self.problem =
                "the host name does not resolve\(reason); use an IP address of this machine, or a name "
                + "that resolves to one"
        case nil:
            self.code = .bindFailed
            self.problem = "\(error)"
        }
    }

    /// Equal when the codes are: the address and words are for people, so errors compare by code.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    /// Hashes the code alone, as `==` compares it.
    public func hash(into hasher: inout Hasher) { hasher.combine(self.code) }
}
