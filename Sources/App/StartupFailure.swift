import ArgumentParser
import Foundation
import GatehouseCertificates
import GatehouseConfiguration

/// What `serve` and `check` print when the configuration (or the embedded default's development PKI) cannot be
/// loaded: one `gatehouse: …` line on standard error, then exit 1. Any other error is rethrown as it is.
func failStartup(_ error: any Error, pkiDirectory: String) throws -> Never {
    switch error {
    case let error as ConfigurationError:
        FileHandle.standardError.write(Data("gatehouse: \(error)\n".utf8))
    case let error as CertificateError:
        // Only the development PKI of the embedded default is read outside the configuration's errors.
        let message =
            "gatehouse: \(error.detail); `gatehouse certs init --dir \(pkiDirectory) --force` makes a new "
            + "development PKI"
        FileHandle.standardError.write(Data((message + "\n").utf8))
    default:
        throw error
    }
    throw ExitCode.failure
}
