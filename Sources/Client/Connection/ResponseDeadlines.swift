import NIOCore

/// The response timeouts of a connection's requests, kept as deadlines and checked by one timer.
///
/// Starting or stopping a request's timeout reads the clock and updates a table; nothing is scheduled or cancelled
/// per request. The handler arms its one timer when ``start(_:timeout:)`` says so, and when it fires asks
/// ``expire(now:)`` which requests ran out of time and when to fire next. Every request of a connection has the same
/// timeout, so a later start never needs an earlier timer.
struct ResponseDeadlines<Key: Hashable> {
    private var deadlines: [Key: NIODeadline] = [:]
    /// The timer, while one is armed.
    var timer: Scheduled<Void>?

    /// Starts `key`'s timeout again from now; returns when to arm the timer if none is armed.
    mutating func start(_ key: Key, timeout: Duration) -> NIODeadline? {
        let deadline = NIODeadline.now() + TimeAmount(timeout)
        self.deadlines[key] = deadline
        return self.timer == nil ? deadline : nil
    }

    /// `key` no longer waits for the server (answered, failed, or its reader is behind).
    mutating func stop(_ key: Key) {
        self.deadlines[key] = nil
    }

    /// For the timer that fired: the keys whose deadline passed (forgotten), and when to fire next (`nil`: none
    /// waits); the timer counts as disarmed until the handler arms it again.
    mutating func expire(now: NIODeadline) -> (expired: [Key], next: NIODeadline?) {
        self.timer = nil
        var expired: [Key] = []
        var next: NIODeadline?
        for (key, deadline) in self.deadlines {
            if deadline <= now {
                expired.append(key)
            } else if next.map({ deadline < $0 }) ?? true {
                next = deadline
            }
        }
        for key in expired { self.deadlines[key] = nil }
        return (expired, next)
    }

    /// Forgets every deadline and cancels the timer (the connection ended).
    mutating func removeAll() {
        self.deadlines = [:]
        self.timer?.cancel()
        self.timer = nil
    }
}
