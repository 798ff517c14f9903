import Foundation
public import GatehouseTransport
public import Logging
public import Metrics

/// The access log: one line per request (``AccessLogConfiguration``), written by a thread of its own so that an
/// event loop never waits for the disk.
///
/// Lines are appended to a buffer on the event loop and written at least once a second (at once past 64 KiB), and
/// at ``close()``. The buffer is bounded (``AccessLogConfiguration/maxBufferedBytes``): when the disk is slower
/// than the requests, further lines are dropped and counted (``droppedLines``), and the count is logged as a
/// warning, as Envoy does. ``reopen()`` (SIGUSR1) closes and reopens the file at its path, for logrotate.
///
/// `@unchecked Sendable`: every mutable field is guarded by `condition`; the open file belongs to the writer thread.
public final class AccessLog: RequestObserver, @unchecked Sendable {
    /// Past this many buffered bytes the writer thread is woken at once rather than at its next second.
    static let eagerFlushBytes = 64 * 1024

    private let condition = NSCondition()
    // `@exclusivity(unchecked)` on what every request touches: `condition` already serializes the accesses, and the
    // runtime's dynamic check costs more than the rest of a short line's bookkeeping.
    @exclusivity(unchecked) private var configuration: AccessLogConfiguration
    @exclusivity(unchecked) private var buffer: [UInt8] = []
    @exclusivity(unchecked) private var droppedSinceReport = 0
    @exclusivity(unchecked) private var droppedTotal = 0
    /// A destination opened by ``reconfigure(_:)``, for the thread to switch to after writing what is buffered.
    private var replacement: AccessLogDestination?
    private var isReopenRequested = false
    private var isClosing = false
    @exclusivity(unchecked) private var isClosed = false
    private var closeWaiters: [CheckedContinuation<Void, Never>] = []
    @exclusivity(unchecked) private var clock = AccessLogClock()
    @exclusivity(unchecked) private var connections = AccessLogConnectionCache()
    private let logger: Logger
    /// `gatehouse_access_log_dropped_lines_total`, counted by the writer thread when it reports drops.
    private let droppedCounter: Counter?

    /// The counter of lines dropped (buffer full) or not written (the file failed).
    public static let droppedLinesTotal = "gatehouse_access_log_dropped_lines_total"

    /// Opens the log's file (or takes standard output) and starts its writer thread; with `metricsFactory`, dropped
    /// lines are also counted in ``droppedLinesTotal``.
    /// - Throws: ``AccessLogError`` when the file cannot be opened for appending.
    public init(
        _ configuration: AccessLogConfiguration,
        logger: Logger,
        metricsFactory: (any MetricsFactory)? = nil
    ) throws {
        let destination = try AccessLogDestination(path: configuration.path)
        self.configuration = configuration
        self.logger = logger
        self.droppedCounter = metricsFactory.map { Counter(label: Self.droppedLinesTotal, dimensions: [], factory: $0) }
        self.buffer.reserveCapacity(Self.eagerFlushBytes)
        let thread = Thread { [self] in self.run(writingTo: destination) }
        thread.name = "gatehouse-access-log"
        thread.start()
    }

    /// The configuration in use.
    public var current: AccessLogConfiguration {
        self.condition.withLock { self.configuration }
    }

    /// How many lines were dropped because the buffer was full (or the file could not be written).
    public var droppedLines: Int {
        self.condition.withLock { self.droppedTotal }
    }

    /// The bytes of lines waiting for the writer thread (at most ``AccessLogConfiguration/maxBufferedBytes``; the
    /// thread holds at most as much again while it writes).
    public var bufferedBytes: Int {
        self.condition.withLock { self.buffer.count }
    }

    /// Appends `record`'s line to the buffer, or drops and counts it when the buffer is full.
    public func observe(_ record: RequestRecord) {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        self.condition.lock()
        guard !self.isClosed else {
            self.condition.unlock()
            return
        }
        let before = self.buffer.count
        let format = self.configuration.format
        AccessLogLine.append(
            record,
            format: format,
            parts: self.connections.parts(for: record, format: format),
            time: now,
            clock: &self.clock,
            to: &self.buffer
        )
        if self.buffer.count > self.configuration.maxBufferedBytes {
            self.buffer.removeSubrange(before...)
            self.droppedSinceReport += 1
            self.droppedTotal += 1
        }
        let wake = before < Self.eagerFlushBytes && self.buffer.count >= Self.eagerFlushBytes
        if wake { self.condition.signal() }
        self.condition.unlock()
    }

    /// Applies a new configuration: a new path is opened here (so a reload fails on a file it cannot open) and
    /// switched to after the lines already buffered are written where they were meant to go.
    /// - Throws: ``AccessLogError`` when the new file cannot be opened; the log keeps its old configuration.
    public func reconfigure(_ configuration: AccessLogConfiguration) throws {
        let pathChanged = self.current.path != configuration.path
        let replacement = pathChanged ? try AccessLogDestination(path: configuration.path) : nil
        self.condition.withLock {
            self.configuration = configuration
            if let replacement {
                self.replacement?.closeFile()
                self.replacement = replacement
                self.condition.signal()
            }
        }
    }

    /// Closes and reopens the file at its path (after logrotate renamed it); nothing for standard output.
    public func reopen() {
        self.condition.withLock {
            self.isReopenRequested = true
            self.condition.signal()
        }
    }

    /// Writes what is buffered, closes the file and stops the writer thread; later records are ignored.
    public func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            self.condition.withLock {
                if self.isClosed && !self.isClosing {
                    continuation.resume()
                    return
                }
                self.closeWaiters.append(continuation)
                self.isClosing = true
                self.isClosed = true
                self.connections.removeAll()
                self.condition.signal()
            }
        }
    }

    /// The writer thread: waits up to a second (or for a wake-up), then writes what the loops buffered.
    private func run(writingTo initial: AccessLogDestination) {
        var destination = initial
        var spare: [UInt8] = []
        spare.reserveCapacity(Self.eagerFlushBytes)
        while true {
            self.condition.lock()
            if self.buffer.count < Self.eagerFlushBytes && !self.isClosing && !self.isReopenRequested
                && self.replacement == nil
            {
                _ = self.condition.wait(until: Date(timeIntervalSinceNow: 1))
            }
            swap(&spare, &self.buffer)
            let replacement = self.replacement.take()
            let reopen = self.isReopenRequested
            self.isReopenRequested = false
            let closing = self.isClosing
            let dropped = self.droppedSinceReport
            self.droppedSinceReport = 0
            self.condition.unlock()

            if !spare.isEmpty, !destination.writeAll(spare) {
                self.countUnwritten(spare)
            }
            spare.removeAll(keepingCapacity: spare.capacity <= 4 * Self.eagerFlushBytes)
            if dropped > 0 { self.reportDropped(dropped) }
            if let replacement {
                destination.closeFile()
                destination = replacement
            } else if reopen {
                self.reopen(&destination)
            }
            if closing {
                destination.closeFile()
                let waiters = self.condition.withLock {
                    self.isClosing = false
                    defer { self.closeWaiters = [] }
                    return self.closeWaiters
                }
                for waiter in waiters { waiter.resume() }
                return
            }
        }
    }

    private func reopen(_ destination: inout AccessLogDestination) {
        guard !destination.isStandardOutput else { return }
        do {
            let reopened = try AccessLogDestination(path: destination.path)
            destination.closeFile()
            destination = reopened
        } catch {
            self.logger.error("access log not reopened; still writing to the old file", metadata: ["error": "\(error)"])
        }
    }

    private func countUnwritten(_ bytes: [UInt8]) {
        let lines = bytes.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
        self.condition.withLock { self.droppedTotal += lines }
        self.droppedCounter?.increment(by: lines)
        self.logger.error(
            "access log lines could not be written",
            metadata: [
                "lines": "\(lines)", "path": "\(self.current.path)", "error": "\(String(cString: strerror(errno)))",
            ]
        )
    }

    private func reportDropped(_ count: Int) {
        self.droppedCounter?.increment(by: count)
        self.logger.warning(
            "access log lines dropped: the buffer is full (the log is written slower than requests arrive)",
            metadata: ["dropped": "\(count)", "maxBufferedBytes": "\(self.current.maxBufferedBytes)"]
        )
    }
}
