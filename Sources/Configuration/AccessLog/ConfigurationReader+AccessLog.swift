import Foundation

extension ConfigurationReader {
    static let accessLogKeys: Set<String> = ["path", "format", "maxBufferedBytes"]

    /// The `accessLog` section: `path` (`-` for standard output, else a file in an existing folder), `format`
    /// (`json` or `text`) and `maxBufferedBytes`.
    func accessLog(_ node: ConfigNode) throws -> AccessLogConfiguration {
        let entries = try node.mapping(allowed: Self.accessLogKeys)
        guard let pathNode = entries["path"] else { throw node.error("path: required (a file, or - for stdout)") }
        var path = try pathNode.string()
        if path != "-" {
            guard !path.isEmpty else { throw pathNode.error("expected a file, or - for standard output") }
            path = absolutePath(path, relativeTo: self.baseDirectory)
            var isDirectory: ObjCBool = false
            let folder = (path as NSString).deletingLastPathComponent
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue
            else {
                throw pathNode.error("no such folder: \(folder)")
            }
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                throw pathNode.error("expected a file, found a folder: \(path)")
            }
        }
        let format = try entries["format"]?.choice(AccessLogConfiguration.Format.self) ?? .json
        let maxBufferedBytes =
            try entries["maxBufferedBytes"]?.size(in: 64 * 1024...(1 << 30))
            ?? AccessLogConfiguration.defaultMaxBufferedBytes
        return AccessLogConfiguration(path: path, format: format, maxBufferedBytes: maxBufferedBytes)
    }
}
