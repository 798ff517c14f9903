import Foundation
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

/// Gives the executable's start-up pages back (``StartupPages``) when `gatehouse serve` is listening, and again once
/// the services' first runs are over: the service group's own start, the file watcher's first polls and the first
/// metrics samples fault in code that the steady state does not run either.
struct StartupPageRelease: Service {
    /// How long after the service group starts its services' first runs are taken to be over.
    static let settleTime: Duration = .seconds(1)

    func run() async {
        StartupPages.release()
        guard (try? await Task.sleep(for: Self.settleTime)) != nil else { return }
        StartupPages.release()
        // Returning would end the group: stay until it shuts down.
        try? await gracefulShutdown()
    }
}

/// Hands the pages of the executable's read-only segments that start-up touched back to the kernel.
///
/// Reading the configuration, the trust material and the development PKI, the dynamic loader's pass over the
/// relocations and symbols, and the runtime's first metadata lookups fault in code and tables that serving never
/// runs again; the kernel maps file pages in 64 KiB blocks around each fault, so they stay in the process's
/// resident set for its whole life. `MADV_DONTNEED` unmaps them: the pages stay in the page cache, and what
/// serving uses faults back in from there (a minor fault, no disk read) the first time it runs.
///
/// Only `PT_LOAD` segments without write permission are released. They are mapped read-only (text, read-only
/// data, relocation and symbol tables) and never written, so dropping a page loses nothing; the writable segments
/// (`.data`, `.bss`, and RELRO, which the loader wrote before making it read-only) are left alone.
enum StartupPages {
    /// Releases the pages; does nothing where the program headers cannot be found (not Linux, no `/proc`) or
    /// while a debugger traces the process.
    static func release() {
        #if os(Linux)
            guard !self.isTraced, let segments = self.readOnlySegments() else { return }
            for segment in segments {
                _ = madvise(UnsafeMutableRawPointer(bitPattern: segment.lowerBound), segment.count, MADV_DONTNEED)
            }
        #endif
    }

    #if os(Linux)
        /// The page-aligned address ranges of the executable's loaded segments that have no write permission,
        /// from its program headers (found through the auxiliary vector's `AT_PHDR` and `AT_PHNUM`).
        static func readOnlySegments() -> [Range<UInt>]? {
            guard let vector = self.auxiliaryVector(), let headersAddress = vector[atProgramHeaders],
                let count = vector[atProgramHeaderCount], headersAddress != 0,
                let headers = UnsafeRawPointer(bitPattern: headersAddress)
            else { return nil }
            let page = UInt(sysconf(Int32(_SC_PAGESIZE)))
            let all = (0..<Int(count)).map { ProgramHeader(headers + $0 * ProgramHeader.size) }
            // The executable is position-independent: its load address is where PT_PHDR says the headers are,
            // less where they are.
            guard let described = all.first(where: { $0.type == ProgramHeader.typeProgramHeaders }) else {
                return nil
            }
            let base = headersAddress &- described.virtualAddress
            return all.compactMap { header in
                guard header.type == ProgramHeader.typeLoad, header.flags & ProgramHeader.flagWrite == 0 else {
                    return nil
                }
                // Only whole pages of the segment: a page shared with a neighbouring segment is left alone.
                let start = (base &+ header.virtualAddress &+ page &- 1) / page * page
                let end = (base &+ header.virtualAddress &+ header.memorySize) / page * page
                return start < end ? start..<end : nil
            }
        }

        private static let atProgramHeaders: UInt = 3  // AT_PHDR
        private static let atProgramHeaderCount: UInt = 5  // AT_PHNUM

        /// Whether a debugger traces the process (`TracerPid` in `/proc/self/status`): its breakpoints live in
        /// private copies of code pages, which `MADV_DONTNEED` would drop.
        static var isTraced: Bool {
            guard let status = self.contents(of: "/proc/self/status") else { return false }
            let text = String(decoding: status, as: UTF8.self)
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("TracerPid:") }) else {
                return false
            }
            return line.dropFirst("TracerPid:".count).trimmingPrefix(while: { $0 == " " || $0 == "\t" }) != "0"
        }

        /// The bytes of a (small, `/proc`) file, or `nil` when it cannot be read.
        private static func contents(of path: String) -> [UInt8]? {
            FileManager.default.contents(atPath: path).map { [UInt8]($0) }
        }

        /// `/proc/self/auxv`: the kernel's (type, value) pairs given to the process at exec.
        private static func auxiliaryVector() -> [UInt: UInt]? {
            guard let bytes = self.contents(of: "/proc/self/auxv") else { return nil }
            let word = MemoryLayout<UInt>.size
            var vector: [UInt: UInt] = [:]
            bytes.withUnsafeBytes { raw in
                for offset in stride(from: 0, to: raw.count - 2 * word + 1, by: 2 * word) {
                    let type = raw.loadUnaligned(fromByteOffset: offset, as: UInt.self)
                    if type == 0 { break }  // AT_NULL
                    vector[type] = raw.loadUnaligned(fromByteOffset: offset + word, as: UInt.self)
                }
            }
            return vector
        }
    #endif
}

#if os(Linux)
    /// The fields of an `Elf64_Phdr` that `StartupPages` reads (64-bit ELF; Glibc's module does not export
    /// `<elf.h>`).
    struct ProgramHeader {
        static let size = 56
        static let typeLoad: UInt32 = 1  // PT_LOAD
        static let typeProgramHeaders: UInt32 = 6  // PT_PHDR
        static let flagWrite: UInt32 = 2  // PF_W

        let type: UInt32
        let flags: UInt32
        let virtualAddress: UInt
        let memorySize: UInt

        init(_ raw: UnsafeRawPointer) {
            self.type = raw.loadUnaligned(fromByteOffset: 0, as: UInt32.self)
            self.flags = raw.loadUnaligned(fromByteOffset: 4, as: UInt32.self)
            self.virtualAddress = raw.loadUnaligned(fromByteOffset: 16, as: UInt.self)
            self.memorySize = raw.loadUnaligned(fromByteOffset: 40, as: UInt.self)
        }
    }
#endif
