import Foundation

/// What a set of watched paths looks like on disk right now; two signatures differ when any file changed.
///
/// Symlinks are followed, so a Kubernetes Secret or ConfigMap update — an atomic swap of the `..data` link
/// that every visible file points through — changes the signature even though no visible name changed.
/// A folder contributes each visible entry (names starting with `.` are skipped, as Kubernetes' `..data`
/// and `..2024_…` folders are).
struct FileSignature: Hashable, Sendable {
    private var entries: [String: Entry] = [:]

    /// The state of one path.
    enum Entry: Hashable, Sendable {
        case missing
        case file(device: UInt64, inode: UInt64, size: Int64, modified: Int64)
        case directory(entries: [String])
    }

    /// Reads the current state of `paths` (folders one level deep).
    init(paths: [String]) {
        for path in paths {
            let entry = Self.entry(at: path)
            self.entries[path] = entry
            guard case .directory(let names) = entry else { continue }
            for name in names {
                let child = (path as NSString).appendingPathComponent(name)
                self.entries[child] = Self.entry(at: child)
            }
        }
    }

    /// The paths whose state differs between `self` and `other`.
    func changedPaths(comparedTo other: FileSignature) -> [String] {
        Set(self.entries.keys).union(other.entries.keys)
            .filter { self.entries[$0] != other.entries[$0] }
            .sorted()
    }

    /// Read through `FileManager` rather than `stat`: which clang module the compiler takes `struct stat` from
    /// (Glibc, CoreFoundation, CDispatch) differs between builds, and member import visibility then asks for that one.
    private static func entry(at path: String) -> Entry {
        // Symlinks followed, as stat does: a Kubernetes `..data` swap changes what the path resolves to.
        let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: target) else { return .missing }
        if attributes[.type] as? FileAttributeType == .typeDirectory {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            return .directory(entries: names.filter { !$0.hasPrefix(".") }.sorted())
        }
        let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        return .file(
            device: (attributes[.systemNumber] as? NSNumber)?.uint64Value ?? 0,
            inode: (attributes[.systemFileNumber] as? NSNumber)?.uint64Value ?? 0,
            size: (attributes[.size] as? NSNumber)?.int64Value ?? 0,
            modified: Int64(modified * 1_000_000_000)
        )
    }
}
