import Foundation
import FuzzTargets
import Testing

/// Replays every committed corpus file (`Fuzz/Corpus/<target>/`, with its `regressions/`) through the same entry
/// point the fuzzer calls: an input that once crashed a target keeps crashing this test until the bug is fixed.
@Suite struct CorpusReplayTests {
    static let corpusRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz/Corpus")

    /// Every file under the target's corpus folder, sorted.
    static func inputs(_ target: FuzzTarget) -> [URL] {
        let folder = Self.corpusRoot.appendingPathComponent(target.rawValue)
        let files =
            FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey])?
            .compactMap { $0 as? URL }
            .filter { (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true } ?? []
        return files.sorted { $0.path < $1.path }
    }

    @Test(arguments: FuzzTarget.available)
    func corpusReplays(_ target: FuzzTarget) throws {
        let inputs = Self.inputs(target)
        #expect(inputs.count >= 10, "the corpus of \(target.rawValue) is missing or nearly empty")
        for file in inputs {
            let bytes = try Data(contentsOf: file)
            bytes.withUnsafeBytes { target.run($0) }
        }
    }
}
