import GatehouseCertificates
import HTTPTypes
public import Logging

/// Logs one line per request: method, path, status, protocol, client subject and duration.
///
/// Put it first in the chain so it sees the final status, including 404, 405 and 403.
public struct RequestLogger: Middleware {
    private let logger: Logger
    private let level: Logger.Level

    /// Logs through `logger` at `level`.
    public init(logger: Logger, level: Logger.Level = .info) {
        self.logger = logger
        self.level = level
    }

    /// Runs `next` and logs the outcome; an error is logged with the status it will be answered with, then rethrown.
    /// When the logger drops `level`, only runs `next` (no clock reads).
    public func handle(_ request: Request, context: RequestContext, next: any Responder) async throws -> Response {
        guard self.logger.logLevel <= self.level else {
            return try await next.respond(to: request, context: context)
        }
        let start = ContinuousClock.now
        do {
            let response = try await next.respond(to: request, context: context)
            self.log(request, context: context, status: response.status.code, since: start)
            return response
        } catch {
            self.log(request, context: context, status: Self.status(for: error), since: start)
            throw error
        }
    }

    /// The status an error is answered with: its own response's, or 500.
    private static func status(for error: any Error) -> Int {
        (error as? any HTTPResponseError)?.response.status.code ?? 500
    }

    /// The client's subject: a forwarded certificate's when a trusted proxy forwarded one (none when it forwarded
    /// none), else the connection's.
    private func clientSubject(_ context: RequestContext) -> String? {
        guard let forwarded = context.forwardedClientCertificate else { return context.connection.clientSubject }
        return forwarded.leaf?.subject
    }

    private func log(_ request: Request, context: RequestContext, status: Int, since start: ContinuousClock.Instant) {
        let (seconds, attoseconds) = (ContinuousClock.now - start).components
        let milliseconds = Double(seconds) * 1000 + Double(attoseconds) / 1e15
        self.logger.log(
            level: self.level,
            "\(request.method.rawValue) \(request.path) \(status)",
            metadata: [
                "protocol": "\(context.connection.httpVersion)",
                "client": "\(self.clientSubject(context) ?? "-")",
                "ms": "\((milliseconds * 1000).rounded() / 1000)",
                "connection": "\(context.connection.id)",
            ]
        )
    }
}

extension RequestLogger: ImmediateMiddleware {
    package func handleImmediately(
        _ request: Request,
        context: consuming RequestContext,
        next: any ImmediateResponder
    ) throws -> Response? {
        guard self.logger.logLevel <= self.level else {
            return try next.respondImmediately(to: request, context: context)
        }
        let start = ContinuousClock.now
        do {
            // A copy: the line logged afterwards reads the context.
            guard let response = try next.respondImmediately(to: request, context: copy context) else { return nil }
            self.log(request, context: context, status: response.status.code, since: start)
            return response
        } catch {
            self.log(request, context: context, status: Self.status(for: error), since: start)
            throw error
        }
    }
}
