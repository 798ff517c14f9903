package import Foundation
import Synchronization

/// Lets a warning through at most once per interval, counting the ones held back.
package final class RateLimitedWarning: Sendable {
    private let interval: TimeInterval
    private let state = Mutex<(last: Date?, suppressed: Int)>((nil, 0))

    /// A limiter letting one warning through per `interval` seconds.
    package init(interval: TimeInterval) {
        self.interval = interval
    }

    /// Whether to log now; when so, how many were held back since the last one.
    package func admit(at now: Date = Date()) -> Int? {
        self.state.withLock { state in
            if let last = state.last, now.timeIntervalSince(last) < self.interval {
                state.suppressed += 1
                return nil
            }
            let suppressed = state.suppressed
            state = (now, 0)
            return suppressed
        }
    }
}
