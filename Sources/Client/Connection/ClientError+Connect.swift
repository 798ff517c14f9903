import Foundation
import NIOCore
import NIOPosix

extension ClientError {
    /// Explains why the TCP connection could not be made, in a sentence that says what to check (``description``
    /// adds the address).
    ///
    /// NIO reports a failed connect as a `NIOConnectionError` holding the resolver's errors and one failure per
    /// address tried; the sentence names the system's reason (connection refused, host unreachable) or the
    /// unresolvable name, never NIO's type names, which stay in ``detail``.
    static func connectFailure(_ error: any Error, timeout: Duration) -> ClientError {
        let detail = "\(error)"
        if case ChannelError.connectTimeout = error {
            return ClientError(
                .timeout,
                "nothing answered within \(timeout); check the host and port, and that no firewall drops the "
                    + "connection",
                detail: detail
            )
        }
        guard let failure = error as? NIOConnectionError else {
            return ClientError(.connectFailed, "could not connect: \(detail)", detail: detail)
        }
        let attempts = failure.connectionErrors
        guard let first = attempts.first else {
            let resolver = (failure.dnsAError ?? failure.dnsAAAAError) as? SocketAddressError.UnknownHost
            let reason = resolver.map { " (\($0.errorDescription.lowercased()))" } ?? ""
            return ClientError(
                .hostNotFound,
                "the host name \(failure.host) does not resolve\(reason); check its spelling, or use an IP address",
                detail: detail
            )
        }
        let tried = attempts.count > 1 ? " (tried \(attempts.map { "\($0.target)" }.joined(separator: ", ")))" : ""
        guard let errno = (first.error as? IOError)?.errnoCode else {
            return ClientError(.connectFailed, "could not connect\(tried): \(first.error)", detail: detail)
        }
        return ClientError(.connectFailed, Self.connectSentence(errno: errno) + tried, detail: detail)
    }

    /// What a `connect` errno means and what to check.
    private static func connectSentence(errno: Int32) -> String {
        switch errno {
        case ECONNREFUSED:
            "connection refused: nothing listens on this port; check the port, and that the server is running"
        case ENETUNREACH, EHOSTUNREACH:
            "\(systemText(errno)): check the address, and this machine's network and routes"
        case ETIMEDOUT:
            "the connection timed out; check the host and port, and that no firewall drops the connection"
        default:
            "could not connect: \(systemText(errno))"
        }
    }

    private static func systemText(_ errno: Int32) -> String {
        String(cString: strerror(errno)).lowercased()
    }
}
