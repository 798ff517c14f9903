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
        case file(device: UInt64, inode: UInt64, size: Int64, modified: Int64, changed: Int64)
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

    private static func entry(at path: String) -> Entry {
        var info = stat()
        guard stat(path, &info) == 0 else { return .missing }  // stat follows symlinks
        if (info.st_mode & S_IFMT) == S_IFDIR {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            return .directory(entries: names.filter { !$0.hasPrefix(".") }.sorted())
        }
        return .file(
            device: UInt64(info.st_dev),
            inode: UInt64(info.st_ino),
            size: Int64(info.st_size),
            modified: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec),
            changed: Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec)
        )
    }
}
