import Foundation
import NIOCore
import NIOPosix
import TestSupport
import Testing

/// What a new user sees when something outside Gatehouse is wrong: one `gatehouse: …` line that names the address
/// or the file's line and says what to do, never a Swift or NIO type name.
@Suite("`gatehouse` explains what is wrong", .serialized)
struct CommandErrorTests {
    func gatehouse(_ arguments: [String], timeout: Int = 30) async throws -> ProcessOutput {
        try await runProcess("/usr/bin/timeout", [String(timeout), try builtExecutable("gatehouse")] + arguments)
    }

    /// Type names that must never reach a user's terminal.
    func expectNoTypeNames(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for name in ["Error(", "Error.", "SingleConnectionFailure", "NIOConnectionError", "errno:", "IOError"] {
            #expect(!text.contains(name), "\(name) in: \(text)", sourceLocation: sourceLocation)
        }
    }

    @Test func versionIsPrintedAndListedInHelp() async throws {
        let version = try await self.gatehouse(["--version"])
        #expect(version.exitCode == 0)
        #expect(version.stdout.wholeMatch(of: /\d+\.\d+\.\d+\n/) != nil, "\(version.stdout)")
        let help = try await self.gatehouse(["--help"])
        #expect(help.stdout.contains("--version"), "\(help.stdout)")
    }

    // MARK: serve

    @Test func aBusyPortIsNamedWithWhatToDo() async throws {
        let busy = try ListeningSocket()
        let output = try await self.gatehouse(
            ["serve", "--port", "\(busy.port)", "--pki-directory", try temporaryDirectory() + "/pki"])
        #expect(output.exitCode == 1)
        #expect(
            output.stderr == "gatehouse: cannot listen on 127.0.0.1:\(busy.port): the address is already in use: "
                + "another process listens on this port; stop it or choose another port; --port sets the port\n",
            "\(output.stderr)"
        )
    }

    @Test func aBusyPortInAConfigurationFileNamesTheFileAndTheListener() async throws {
        let busy = try ListeningSocket()
        let folder = try ConfigurationFolder()
        let file = try folder.write(
            ConfigurationFolder.yaml(policy: "trustedCAs: [pki/ca.crt]", testRoutes: false)
                .replacingOccurrences(of: "port: 0", with: "port: \(busy.port)")
        )
        let output = try await self.gatehouse(["serve", "--config", file])
        #expect(output.exitCode == 1)
        #expect(
            output.stderr.hasPrefix(
                "gatehouse: \(file): listeners[0]: cannot listen on 127.0.0.1:\(busy.port): the address is already in use"
            ),
            "\(output.stderr)"
        )
        self.expectNoTypeNames(output.stderr)
    }

    @Test func aPrivilegedPortSaysWhatItNeeds() async throws {
        let port = 443
        let unprivilegedStart =
            (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_unprivileged_port_start", encoding: .utf8))
            .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 1024
        guard port < unprivilegedStart else {
            print("skipped: ports from \(unprivilegedStart) need no privilege on this machine")
            return
        }
        var command = [try builtExecutable("gatehouse")]
        if getuid() == 0 {
            // As root, drop the capability that lets a process bind low ports (as an unprivileged user has none).
            guard FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else {
                print("skipped: running as root and /usr/bin/setpriv is missing to drop CAP_NET_BIND_SERVICE")
                return
            }
            command = ["/usr/bin/setpriv", "--bounding-set=-net_bind_service"] + command
        }
        let output = try await runProcess(
            command[0],
            Array(command.dropFirst()) + [
                "serve", "--port", "\(port)", "--pki-directory", try temporaryDirectory() + "/pki",
            ]
        )
        #expect(output.exitCode == 1)
        #expect(
            output.stderr.hasPrefix(
                "gatehouse: cannot listen on 127.0.0.1:443: permission denied: ports below 1024 need root or the "
                    + "CAP_NET_BIND_SERVICE capability; choose a port of 1024 or above"
            ),
            "\(output.stderr)"
        )
        #expect(output.stderr.hasSuffix("; --port sets the port\n"), "\(output.stderr)")
    }

    @Test func anAddressNotOnThisMachineIsNamed() async throws {
        let nonlocal = try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_nonlocal_bind", encoding: .utf8)
        guard nonlocal?.hasPrefix("1") != true else {
            print("skipped: net.ipv4.ip_nonlocal_bind is 1, so any address can be bound")
            return
        }
        let output = try await self.gatehouse(
            ["serve", "--host", "192.0.2.1", "--port", "8443", "--pki-directory", try temporaryDirectory() + "/pki"])
        #expect(output.exitCode == 1)
        #expect(
            output.stderr == "gatehouse: cannot listen on 192.0.2.1:8443: the address is not one of this machine's; "
                + "use one of its addresses, 127.0.0.1 (or ::1) for this machine only, or 0.0.0.0 (or ::) for every "
                + "interface; --host sets the address\n",
            "\(output.stderr)"
        )
    }

    @Test func aHostThatDoesNotResolveIsNamed() async throws {
        let output = try await self.gatehouse(
            [
                "serve", "--host", "no-such-host.invalid", "--port", "8443",
                "--pki-directory", try temporaryDirectory() + "/pki",
            ])
        #expect(output.exitCode == 1)
        #expect(
            output.stderr.hasPrefix(
                "gatehouse: cannot listen on no-such-host.invalid:8443: the host name does not resolve"
            ),
            "\(output.stderr)"
        )
        self.expectNoTypeNames(output.stderr)
    }

    @Test func aDamagedDevelopmentPKISaysHowToMakeANewOne() async throws {
        let pki = try temporaryDirectory() + "/pki"
        let created = try await self.gatehouse(["certs", "init", "--dir", pki])
        try #require(created.exitCode == 0, "\(created.stderr)")
        try "not a certificate".write(toFile: pki + "/client.crt", atomically: true, encoding: .utf8)
        let output = try await self.gatehouse(["serve", "--pki-directory", pki, "--port", "0"])
        #expect(output.exitCode == 1)
        #expect(
            output.stderr == "gatehouse: \(pki)/client.crt: no certificate found; `gatehouse certs init --dir \(pki) "
                + "--force` makes a new development PKI\n",
            "\(output.stderr)"
        )
    }

    // MARK: call

    @Test func aRefusedConnectionIsNamedWithWhatToCheck() async throws {
        let port = try freeLoopbackPort()
        let output = try await self.gatehouse(["call", "https://127.0.0.1:\(port)/healthz", "--insecure"])
        #expect(output.exitCode == 1)
        #expect(
            output.stderr == "gatehouse call: 127.0.0.1:\(port): connection refused: nothing listens on this port; "
                + "check the port, and that the server is running\n",
            "\(output.stderr)"
        )
    }

    @Test func anUnknownHostIsNamed() async throws {
        let output = try await self.gatehouse(["call", "https://no-such-host.invalid:8443/", "--insecure"])
        #expect(output.exitCode == 1)
        #expect(
            output.stderr.hasPrefix(
                "gatehouse call: no-such-host.invalid:8443: the host name no-such-host.invalid does not resolve"
            ),
            "\(output.stderr)"
        )
        #expect(output.stderr.hasSuffix("; check its spelling, or use an IP address\n"), "\(output.stderr)")
        self.expectNoTypeNames(output.stderr)
    }

    @Test func aServerThatNeverAnswersTimesOutWithTheOption() async throws {
        let silent = try ListeningSocket()  // the kernel accepts the connection; nobody ever reads or writes
        let output = try await self.gatehouse(["call", "https://127.0.0.1:\(silent.port)/", "--timeout", "1"])
        #expect(output.exitCode == 1)
        #expect(
            output.stderr == "gatehouse call: 127.0.0.1:\(silent.port): the TLS handshake did not finish in time "
                + "(--timeout sets how long to wait)\n",
            "\(output.stderr)"
        )
    }

    @Test func aPortThatDoesNotSpeakTLSIsExplained() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let channel = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(PlainHTTPAnswer())
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(channel.localAddress?.port)
        let output = try await self.gatehouse(["call", "https://127.0.0.1:\(port)/", "--insecure"])
        try await channel.close()
        #expect(output.exitCode == 1)
        #expect(
            output.stderr.hasPrefix("gatehouse call: 127.0.0.1:\(port): the TLS handshake failed: "),
            "\(output.stderr)"
        )
        #expect(output.stderr.hasSuffix(" (check that the port serves HTTPS)\n"), "\(output.stderr)")
        self.expectNoTypeNames(output.stderr)
    }

    // MARK: configuration files

    /// Errors found while loading a listener's identity, a policy's files or a route carry the file's line.
    @Test func errorsFoundWhileLoadingTrustMaterialHaveTheLine() async throws {
        let folder = try ConfigurationFolder()
        try folder.copy(folder.pki.clientPFXFile, to: "pki/server.pfx")
        try "not a key".write(toFile: folder.path + "/pki/broken.key", atomically: true, encoding: .utf8)
        let base = ConfigurationFolder.yaml(policy: "trustedCAs: [pki/ca.crt]", testRoutes: false)
        let cases: [(edit: (String) -> String, expected: String)] = [
            (
                {
                    $0.replacingOccurrences(
                        of: "tls: { certificate: pki/server.crt, privateKey: pki/server.key }",
                        with: "tls:\n      pkcs12: pki/server.pfx\n      password: wrong"
                    )
                },
                ":5: listeners[0].tls.pkcs12: \(folder.path)/pki/server.pfx: the password does not open the file\n"
            ),
            (
                { $0.replacingOccurrences(of: "privateKey: pki/server.key", with: "privateKey: pki/broken.key") },
                ":4: listeners[0].tls.privateKey: \(folder.path)/pki/broken.key: "
            ),
            (
                {
                    $0.replacingOccurrences(
                        of: "trustedCAs: [pki/ca.crt]",
                        with: "trustedCAs: [pki/ca.crt, pki/server.key]"
                    )
                },
                ":8: policies.partners.trustedCAs[1]: not a certificate: \(folder.path)/pki/server.key: "
                    + "no certificate found\n"
            ),
            (
                { $0.replacingOccurrences(of: "path: /healthz", with: "path: /api/*/x") },
                ":11: routes[1].path: invalid route pattern '/api/*/x'"
            ),
            (
                { $0.replacingOccurrences(of: "path: /healthz", with: "path: \"/api/{a}/{a}\"") },
                ":11: routes[1].path: invalid route pattern '/api/{a}/{a}': the capture {a} appears twice; "
                    + "give each its own name\n"
            ),
        ]
        for (edit, expected) in cases {
            let file = try folder.write(edit(base))
            let output = try await self.gatehouse(["serve", "--config", file])
            #expect(output.exitCode == 1)
            #expect(output.stderr.hasPrefix("gatehouse: \(file)\(expected)"), "\(output.stderr)")
            #expect(!output.stderr.contains("TLSError"), "\(output.stderr)")
        }
    }
}

/// A socket listening on a free loopback port that never accepts: connections complete (the kernel queues them)
/// and then hear nothing. Closed on deinit.
final class ListeningSocket: @unchecked Sendable {  // immutable after init
    let port: Int
    private let descriptor: Int32

    init() throws {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw POSIXError(.EMFILE) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listening = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sockaddr in
                Glibc.bind(socket, sockaddr, length) == 0 && listen(socket, 16) == 0
                    && getsockname(socket, sockaddr, &length) == 0
            }
        }
        guard listening else {
            close(socket)
            throw POSIXError(.EADDRINUSE)
        }
        self.descriptor = socket
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(self.descriptor) }
}

/// Answers whatever arrives with a plain-text HTTP response and closes: a port that does not speak TLS.
private final class PlainHTTPAnswer: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let answer = ByteBuffer(string: "HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n")
        context.writeAndFlush(self.wrapOutboundOut(answer)).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}
