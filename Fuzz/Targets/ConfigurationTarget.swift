import Foundation
import GatehouseConfiguration

/// YAML text through ``ConfigurationLoader/parse(_:file:)``: every input must load or throw a
/// ``ConfigurationError``; nothing may trap.
///
/// The file sits in a temporary folder holding the paths the seeds name (`pki/server.crt`, `pki/clients/`, …), so
/// that inputs get past the file checks to the keys after them. Their contents are never read: the loader only
/// checks that they exist.
enum ConfigurationTarget {
    static let file: String = {
        let directory = NSTemporaryDirectory() + "gatehouse-fuzz-configuration-\(getpid())"
        try? FileManager.default.createDirectory(atPath: directory + "/pki/clients", withIntermediateDirectories: true)
        for name in ["server.crt", "server.key", "ca.crt", "server.pfx", "clients/client.crt", "crl.pem"] {
            _ = FileManager.default.createFile(atPath: directory + "/pki/" + name, contents: Data("x".utf8))
        }
        return directory + "/gatehouse.yaml"
    }()

    static let loader = ConfigurationLoader(
        functionNames: ["hello", "health", "whoami"],
        environment: ["PFX_PASSWORD": "s3cret", "SERVER_PFX_PASSWORD": "gatehouse-test", "PORT": "8443"]
    )

    static func run(_ input: UnsafeRawBufferPointer) {
        let text = String(decoding: input, as: UTF8.self)
        do {
            _ = try Self.loader.parse(text, file: Self.file)
        } catch is ConfigurationError {
        } catch {
            preconditionFailure("the loader threw something other than a ConfigurationError: \(error)")
        }
    }
}
