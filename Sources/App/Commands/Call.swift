import ArgumentParser
import Foundation
import GatehouseCertificates
import GatehouseClient
import GatehouseTransport
import HTTPTypes
import NIOCore

/// `gatehouse call`: one HTTPS request with a client certificate, printed like curl prints it.
struct Call: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Call a mutual-TLS service: print the status line and the body; exit 0 on 2xx, 1 otherwise.",
        discussion: """
            Presents a client certificate from PEM files (--cert and --key, the key unencrypted) or a PKCS#12 file \
            (--pfx and --password-file or --password), verifies the server against --cacert (or the system's CAs) \
            and the URL's host against its names (DNS names and IP addresses), and speaks HTTP/2 or \
            HTTP/1.1 as ALPN decides unless --http2 or --http1.1 says which. TLS failures are explained in a \
            sentence on standard error.
            """
    )

    @Argument(help: "The URL to call: https://host[:port]/path[?query].")
    var url: String

    @Option(help: "PEM file with the client certificate (and any intermediates).")
    var cert: String?

    @Option(help: "PEM file with the client certificate's private key.")
    var key: String?

    @Option(help: "PKCS#12 (.pfx) file with the client certificate and key.")
    var pfx: String?

    @Option(help: "The password of the --pfx file. \(visiblePasswordWarning).")
    var password: String?

    @Option(help: "A file whose first line is the password of the --pfx file.")
    var passwordFile: String?

    @Option(help: "PEM file with the CAs the server's certificate must chain to (default: the system's CAs).")
    var cacert: [String] = []

    @Flag(name: .customLong("http1.1"), help: "Speak HTTP/1.1 only.")
    var http1Only = false

    @Flag(name: .customLong("http2"), help: "Speak HTTP/2 only.")
    var http2 = false

    @Option(
        name: [.customShort("X"), .customLong("request")],
        help: "The request method (default GET, or POST with -d)."
    )
    var method: String?

    @Option(
        name: [.customShort("H"), .customLong("header")],
        help: "A request header field, 'Name: value'; repeatable."
    )
    var headers: [String] = []

    @Option(name: [.customShort("d"), .customLong("data")], help: "The request body; @FILE reads it from a file.")
    var data: String?

    @Flag(name: [.customShort("k"), .customLong("insecure")], help: "Do not verify the server's certificate.")
    var insecure = false

    @Option(help: "Seconds to wait for the connection and for the response.")
    var timeout = 30

    @Flag(name: [.customShort("v"), .customLong("verbose")], help: "Print TLS facts and response headers on stderr.")
    var verbose = false

    func validate() throws {
        if self.cert != nil && self.key == nil { throw ValidationError("--cert needs --key") }
        if self.key != nil && self.cert == nil { throw ValidationError("--key needs --cert") }
        if self.pfx != nil && self.cert != nil { throw ValidationError("use either --pfx or --cert/--key, not both") }
        if (self.password != nil || self.passwordFile != nil) && self.pfx == nil {
            throw ValidationError("--password and --password-file go with --pfx")
        }
        try validatePasswordOptions(self.password, file: self.passwordFile, names: ("--password", "--password-file"))
        if self.http1Only && self.http2 { throw ValidationError("use either --http1.1 or --http2, not both") }
        if self.timeout <= 0 { throw ValidationError("--timeout must be positive") }
        if let method = self.method, HTTPRequest.Method(method) == nil {
            throw ValidationError("-X \(method) is not a valid method")
        }
        for header in self.headers where Self.parseHeader(header) == nil {
            throw ValidationError("-H '\(header)' is not 'Name: value'")
        }
    }

    func run() async throws {
        let client: HTTPClient
        let response: ClientResponse
        do {
            client = try HTTPClient(configuration: self.clientConfiguration())
            let body = try self.body()
            let method = self.method.flatMap { HTTPRequest.Method($0) } ?? (body == nil ? .get : .post)
            do {
                response = try await client.execute(method, self.url, headerFields: self.headerFields(), body: body)
            } catch {
                await client.shutdown()
                throw error
            }
            await client.shutdown()
        } catch let error as ClientError {
            Self.printError("\(error)" + Self.hint(for: error.code))
            throw ExitCode(1)
        } catch let error as CertificateError {
            Self.printError(error.detail)
            throw ExitCode(1)
        }
        if self.verbose { self.printDetails(response) }
        var output = response.statusLine + "\n"
        output += response.bodyText
        // On a terminal, end the line so the prompt does not run into the body; pipes get the body as sent.
        if isatty(STDOUT_FILENO) == 1 && !output.hasSuffix("\n") { output += "\n" }
        FileHandle.standardOutput.write(Data(output.utf8))
        if !(200..<300).contains(response.status.code) { throw ExitCode(1) }
    }

    private func clientConfiguration() throws -> ClientConfiguration {
        var identity: TLSIdentity?
        if let cert = self.cert, let key = self.key {
            identity = .pem(certificateChainFile: cert, privateKeyFile: key)
        } else if let pfx = self.pfx {
            identity = .pkcs12(file: pfx, password: try resolvePassword(self.password, file: self.passwordFile) ?? "")
        }
        return ClientConfiguration(
            identity: identity,
            trustedCAFiles: self.cacert,
            httpVersion: self.http2 ? .http2 : self.http1Only ? .http1_1 : .automatic,
            timeout: .seconds(self.timeout),
            verifyServer: !self.insecure
        )
    }

    private func body() throws -> ByteBuffer? {
        guard let data = self.data else { return nil }
        guard data.hasPrefix("@") else { return ByteBuffer(string: data) }
        let path = String(data.dropFirst())
        guard let contents = FileManager.default.contents(atPath: path) else {
            throw ClientError(.invalidRequest, "cannot read the request body from \(path)")
        }
        return ByteBuffer(bytes: contents)
    }

    private func headerFields() -> HTTPFields {
        var fields = HTTPFields()
        for header in self.headers {
            guard let (name, value) = Self.parseHeader(header) else { continue }
            fields.append(HTTPField(name: name, value: value))
        }
        return fields
    }

    private static func parseHeader(_ header: String) -> (HTTPField.Name, String)? {
        guard let colon = header.firstIndex(of: ":"), let name = HTTPField.Name(String(header[..<colon])) else {
            return nil
        }
        return (name, header[header.index(after: colon)...].trimmingCharacters(in: .whitespaces))
    }

    private func printDetails(_ response: ClientResponse) {
        let tls = response.tls
        var lines = ["* TLS \(tls.protocolVersion), cipher \(tls.cipher), ALPN \(tls.alpn ?? "none")"]
        if let server = tls.peerCertificate { lines.append("* server certificate: \(server.subject)") }
        lines.append("< \(response.statusLine)")
        for field in response.head.headerFields { lines.append("< \(field.name.canonicalName): \(field.value)") }
        FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }

    /// What to change on the command line for a failure whose sentence says what is wrong.
    private static func hint(for code: ClientError.Code) -> String {
        switch code {
        case .serverCertificateUntrusted: " (--cacert names the CA that issued it; -k skips the check, for tests only)"
        case .certificateRefused: " (--cert and --key, or --pfx, present a certificate the server trusts)"
        case .tlsHandshakeFailed: " (check that the port serves HTTPS)"
        case .timeout: " (--timeout sets how long to wait)"
        default: ""
        }
    }

    private static func printError(_ message: String) {
        FileHandle.standardError.write(Data("gatehouse call: \(message)\n".utf8))
    }
}
