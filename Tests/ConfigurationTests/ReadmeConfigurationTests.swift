import Foundation
import GatehouseConfiguration
import GatehouseTransport
import Testing

@Suite struct ReadmeConfigurationTests {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The README's configuration example is a working configuration.
    @Test func theReadmeExampleLoads() throws {
        let readme = try String(contentsOf: Self.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(readme.range(of: "## Configuration"))
        let start = try #require(readme.range(of: "```yaml\n", range: section.upperBound..<readme.endIndex))
        let end = try #require(readme.range(of: "```", range: start.upperBound..<readme.endIndex))
        let file = try writeConfiguration(String(readme[start.upperBound..<end.lowerBound]))
        let configuration = try ConfigurationLoader(
            functionNames: FunctionRegistry.builtIn.names,
            environment: ["SERVER_PFX_PASSWORD": "gatehouse-test"]
        ).load(file: file)
        #expect(configuration.listeners.count == 2)
        #expect(configuration.policies.map(\.name) == ["partners", "contoso"])
        #expect(configuration.routes.map(\.function) == ["hello", "whoami", "health"])
        #expect(configuration.listeners.map(\.name) == ["public", nil])
        #expect(configuration.routes.map(\.listeners) == [nil, ["public"], nil])
    }
}
