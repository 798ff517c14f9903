import Foundation
import GatehouseConfiguration
import Testing

/// The `accessLog` section: read with its defaults, and every mistake named by file, key and line.
@Suite struct AccessLogConfigurationTests {
    static let base = """
        listeners:
          - { host: 127.0.0.1, port: 8443, tls: { certificate: pki/server.crt, privateKey: pki/server.key } }
        routes:
          - { path: /healthz, function: health }

        """

    @Test func isOffUnlessConfigured() throws {
        let configuration = try loader.load(file: try writeConfiguration(Self.base))
        #expect(configuration.accessLog == nil)
    }

    @Test func readsPathFormatAndBufferLimitWithDefaults() throws {
        let file = try writeConfiguration(Self.base + "accessLog: { path: access.log }")
        let configuration = try loader.load(file: file)
        let folder = (file as NSString).deletingLastPathComponent
        #expect(configuration.accessLog == AccessLogConfiguration(path: folder + "/access.log"))
        #expect(configuration.accessLog?.format == .json)
        #expect(configuration.accessLog?.maxBufferedBytes == 4 * 1024 * 1024)

        let text = try loader.load(
            file: try writeConfiguration(Self.base + "accessLog: { path: '-', format: text, maxBufferedBytes: 64KiB }")
        )
        #expect(text.accessLog == AccessLogConfiguration(path: "-", format: .text, maxBufferedBytes: 65536))
        #expect(text.accessLog?.isStandardOutput == true)
    }

    static let mistakes: [(String, String, String)] = [
        ("accessLog: { format: json }", "accessLog", "path: required"),
        ("accessLog: { path: /nonexistent/folder/access.log }", "accessLog.path", "no such folder"),
        ("accessLog: { path: pki }", "accessLog.path", "expected a file, found a folder"),
        ("accessLog: { path: a.log, format: xml }", "accessLog.format", "'xml' is not one of json | text"),
        ("accessLog: { path: a.log, maxBufferedBytes: 1KiB }", "accessLog.maxBufferedBytes", "must be between"),
        ("accessLog: { path: a.log, rotate: daily }", "accessLog.rotate", "unknown key"),
    ]

    @Test(arguments: mistakes)
    func aMistakeNamesFileKeyAndLine(yaml: String, keyPath: String, problem: String) throws {
        let file = try writeConfiguration(Self.base + yaml)
        let error = #expect(throws: ConfigurationError.self) { try loader.load(file: file) }
        #expect(error?.file == file)
        #expect(error?.keyPath == keyPath)
        #expect(error?.line == 5)
        #expect(error?.problem.hasPrefix(problem) == true, "\(error?.description ?? "")")
    }
}
