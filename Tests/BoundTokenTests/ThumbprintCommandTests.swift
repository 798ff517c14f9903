import Foundation
import GatehouseClient
import GatehouseTesting
import HTTPTypes
import Testing

/// The README's command for a certificate's `x5t#S256` computes what the server compares a token's binding with.
@Suite struct ThumbprintCommandTests {
    @Test func theReadmeCommandGivesTheThumbprintTheServerAccepts() async throws {
        let issuer = try await TokenIssuer()
        defer { issuer.remove() }
        try await GatehouseTestServer.withServer(
            configuration: BoundTokenEndToEndTests.configuration(jwks: issuer.jwksFile),
            functions: BoundTokenEndToEndTests.functions
        ) { server in
            let alice = try server.pki.client(named: "alice")
            let computed = try Self.readmeCommand(certificateFile: alice.certificateFile)
            #expect(computed == thumbprint(alice.certificate))
            var claims = TokenIssuer.Claims()
            claims.cnf = ["x5t#S256": computed]
            let token = try await issuer.token(claims)
            let response = try await server.client(.client("alice")).get(
                "/api/orders",
                headerFields: [.authorization: "Bearer \(token)"]
            )
            #expect(response.status.code == 200)
        }
    }

    /// Runs the README's pipeline on `certificateFile`.
    static func readmeCommand(certificateFile: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = [
            "-c",
            "openssl x509 -in \"$0\" -outform der | openssl dgst -sha256 -binary | basenc --base64url | tr -d '='",
            certificateFile,
        ]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
