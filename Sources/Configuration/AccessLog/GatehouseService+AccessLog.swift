import GatehouseTransport
import Logging
import ServiceLifecycle
import UnixSignals

extension GatehouseService {
    /// What the server tells of every request: the access log and the request metrics, or `nil` for neither (then
    /// connections observe nothing).
    static func observer(accessLog: AccessLog?, metrics: RequestMetrics?) -> (any RequestObserver)? {
        let observers: [(any RequestObserver)?] = [accessLog, metrics]
        return RequestObservers.combining(observers.compactMap { $0 })
    }

    /// Applies a reloaded `accessLog` section: reconfigures the running log in place (open connections go on
    /// logging to it), or starts or stops it (a new log sees connections accepted from now on).
    /// - Throws: ``ConfigurationError`` when a new file cannot be opened; nothing changed then.
    func applyAccessLog(_ configuration: AccessLogConfiguration?, file: String) async throws {
        switch (self.accessLog, configuration) {
        case (nil, nil):
            return
        case (let log?, let configuration?):
            guard log.current != configuration else { return }
            do {
                try log.reconfigure(configuration)
            } catch {
                throw ConfigurationError(file: file, keyPath: "accessLog.path", problem: "\(error)")
            }
        case (nil, let configuration?):
            let log: AccessLog
            do {
                log = try AccessLog(configuration, logger: self.logger, metricsFactory: self.metrics.factory)
            } catch {
                throw ConfigurationError(file: file, keyPath: "accessLog.path", problem: "\(error)")
            }
            self.accessLog = log
            self.server.updateObserver(Self.observer(accessLog: log, metrics: self.requestMetrics))
        case (let log?, nil):
            self.accessLog = nil
            self.server.updateObserver(Self.observer(accessLog: nil, metrics: self.requestMetrics))
            await log.close()
        }
    }

    /// SIGUSR1: reopens the access log's file (after logrotate renamed it).
    func reopenAccessLog() {
        guard let log = self.accessLog else { return }
        self.logger.info("reopening the access log", metadata: ["path": "\(log.current.path)"])
        log.reopen()
    }

    /// Writes what the access log buffered and closes it (at shutdown).
    func closeAccessLog() async {
        await self.accessLog?.close()
    }
}

/// Closes the access log on graceful shutdown; first in the group's services, so the last to stop, after the
/// server has drained.
struct AccessLogCloser: Service {
    let service: GatehouseService

    func run() async throws {
        try? await gracefulShutdown()
        await self.service.closeAccessLog()
    }
}

/// Reopens the access log on every SIGUSR1 (logrotate's convention, as nginx), until graceful shutdown.
struct ReopenAccessLogOnUserSignal: Service {
    let service: GatehouseService
    let signals: UnixSignalsSequence

    func run() async throws {
        for await _ in self.signals.cancelOnGracefulShutdown() {
            await self.service.reopenAccessLog()
        }
    }
}
