import Foundation
import GatehouseCertificateAuthority
import GatehouseCertificates

/// A root CA → intermediate CA → client chain minted in memory (ECDSA P-256), with the root written to a
/// temporary file because policies are loaded from files. A minimal copy of the tests' `TestPKI`, which is
/// not a product of the root package.
struct BenchPKI: Sendable {
    /// The root CA, to trust.
    let rootCA: Certificate
    /// PEM file holding ``rootCA``.
    let rootCAFile: String
    /// The client's chain as a client sends it: the leaf (`CN=<clientName>,O=Gatehouse Bench`), then the intermediate.
    let clientChain: [Certificate]

    /// The common name of the client leaf.
    static let clientName = "bench-client"

    /// Mints the chain and writes the root into a new temporary directory.
    static func make() throws -> BenchPKI {
        let now = Date()
        func spec(_ name: String, _ kind: CertificateSpec.Kind) -> CertificateSpec {
            CertificateSpec(
                subject: [.organization("Gatehouse Bench"), .commonName(name)],
                kind: kind,
                notBefore: now.addingTimeInterval(-86_400),
                notAfter: now.addingTimeInterval(30 * 86_400)
            )
        }
        let root = try CertificateAuthority.createRoot(spec("Gatehouse Bench Root CA", .rootCA))
        let intermediate = try root.issueIntermediate(spec("Gatehouse Bench Intermediate CA", .intermediateCA))
        let client = try intermediate.issue(spec(Self.clientName, .client))

        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("gatehouse-bench-\(getpid())-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let rootCAFile = (directory as NSString).appendingPathComponent("root-ca.crt")
        try Data([root.certificate].pemString.utf8).write(to: URL(fileURLWithPath: rootCAFile))
        return BenchPKI(
            rootCA: root.certificate,
            rootCAFile: rootCAFile,
            clientChain: [client.certificate, intermediate.certificate]
        )
    }
}
