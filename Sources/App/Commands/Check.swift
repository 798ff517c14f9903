import ArgumentParser
import Foundation
import GatehouseCertificateAuthority
import GatehouseCertificates
import GatehouseConfiguration

/// `gatehouse check`: validates a configuration as `serve` would, without listening, and prints what it holds.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a configuration as serve would, without listening on any port.",
        discussion: """
            Loads the configuration and builds everything serve builds (TLS contexts, policies, routes, \
            functions), then prints each listener with its certificate's subject and expiry, each route's policy \
            and function, each policy's CAs, allow-listed certificates and CRLs with their dates, and warnings: \
            a certificate or CA that expires within 30 days or has expired, a CRL past its nextUpdate, a server \
            certificate without a SAN for its listener's host, a route without a policy on a listener that asks \
            for client certificates. Exits 0 when serve would start (warnings or not), 1 with serve's error \
            otherwise. Without --config, checks the embedded default and its development PKI (creating nothing).
            """
    )

    @Option(name: .customLong("config"), help: "A configuration file (YAML or JSON).")
    var configurationFile: String?

    @Option(help: "Where the embedded default's development PKI lives (without --config).")
    var pkiDirectory = ".gatehouse/pki"

    @Flag(help: "Print one JSON document (sorted keys) instead of text.")
    var json = false

    func run() throws {
        let report: CheckReport
        do {
            if let file = self.configurationFile {
                report = try ConfigurationCheck().check(configurationFile: file)
            } else {
                guard let pki = try self.developmentPKI() else { return self.printMissingPKI() }
                let configuration = DefaultConfiguration.make(host: "127.0.0.1", port: 8443, pki: pki)
                report = try ConfigurationCheck().check(configuration: configuration)
                if !self.json {
                    print(
                        "No --config: checking the embedded default configuration (development PKI in \(pki.directory))."
                    )
                }
            }
        } catch {
            if self.json, let error = error as? ConfigurationError {
                print(try CheckFailure(error).json(), terminator: "")
            }
            try failStartup(error, pkiDirectory: self.pkiDirectory)
        }
        print(self.json ? try report.json() : report.text, terminator: "")
    }

    /// The development PKI `serve` would load, or `nil` when `serve` would create one (check creates nothing).
    private func developmentPKI() throws -> DevelopmentPKI? {
        let files = DevelopmentPKI.fileNames + ["client.pfx.password"]
        let directory = self.pkiDirectory as NSString
        guard files.allSatisfy({ FileManager.default.fileExists(atPath: directory.appendingPathComponent($0)) }) else {
            return nil
        }
        return try DevelopmentPKI.loadOrCreate(in: self.pkiDirectory)
    }

    private func printMissingPKI() {
        let note =
            "the embedded default configuration: its development PKI in \(self.pkiDirectory) is "
            + "missing or incomplete; gatehouse serve creates a new one there on first run"
        if self.json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let document = MissingPKI(configuration: "(embedded default)", note: note)
            print(String(decoding: (try? encoder.encode(document)) ?? Data(), as: UTF8.self))
        } else {
            print("No --config: checking \(note).\n\nOK: gatehouse serve would start.")
        }
    }
}

/// `check --json`'s answer when the embedded default's development PKI does not exist yet.
private struct MissingPKI: Encodable {
    var configuration: String
    var note: String
    var ok = true
}
