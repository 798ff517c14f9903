public import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The wall clock at the kernel tick's resolution (a few milliseconds), cheap enough to read on every request.
///
/// On Linux it is `CLOCK_REALTIME_COARSE`, which the vDSO answers from the time of the last tick without
/// reading the clock source; elsewhere `Date()`. Good for certificate validity, whose bounds are whole seconds.
public enum CoarseClock {
    /// The current time, within one kernel tick.
    @Sendable public static func now() -> Date {
        #if os(Linux)
            var time = timespec()
            clock_gettime(CLOCK_REALTIME_COARSE, &time)
            return Date(timeIntervalSince1970: Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9)
        #else
            return Date()
        #endif
    }
}
