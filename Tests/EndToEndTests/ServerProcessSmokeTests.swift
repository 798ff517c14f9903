import Foundation
import TestSupport
import Testing

@Suite("The hostile-client harness itself")
struct ServerProcessSmokeTests {
    @Test func aRawClientGetsAnswersAndResourcesAreReadable() throws {
        let server = try ServerProcess()
        defer { _ = server.stop() }
        let before = try server.resources()
        #expect(before.residentKiB > 1000 && before.openDescriptors > 3, "\(before)")
        let client = try server.connect()
        client.send("GET /api/hello?name=raw HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let (text, _) = client.receiveText(timeout: 10, containing: "Hello, raw.")
        #expect(text.hasPrefix("HTTP/1.1 200"), "\(text)")
        let stranger = try server.connect(withCertificate: false)
        stranger.send("GET /api/hello HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect(stranger.receiveText(timeout: 10, containing: "Invalid client certificate").text.contains("403"))
        #expect(server.stop() == 0)
    }
}
