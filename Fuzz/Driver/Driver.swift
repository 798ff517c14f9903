import FuzzTargets

#if canImport(Glibc)
    import Glibc
#endif

/// libFuzzer's entry point for a program that has its own `main` (`libclang_rt.fuzzer_no_main`): SwiftPM links every
/// executable with `main` set to the module's entry symbol, so the driver cannot use libFuzzer's `main`.
@_silgen_name("LLVMFuzzerRunDriver")
private func runDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// The target named by `FUZZ_TARGET`, chosen once before libFuzzer starts calling back.
nonisolated(unsafe) private var selected = FuzzTarget.http1

/// `FUZZ_TARGET=<name> GatehouseFuzz [libFuzzer options] [corpus folders]`.
@_cdecl("GatehouseFuzz_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    let name = getenv("FUZZ_TARGET").map { String(cString: $0) } ?? ""
    guard let target = FuzzTarget(rawValue: name), FuzzTarget.available.contains(target) else {
        let names = FuzzTarget.available.map(\.rawValue).joined(separator: ", ")
        print("set FUZZ_TARGET to one of: \(names)")
        return 2
    }
    selected = target
    var argc = argc
    var argv = argv
    return runDriver(&argc, &argv) { data, size in
        selected.run(UnsafeRawBufferPointer(start: data, count: size))
        return 0
    }
}
