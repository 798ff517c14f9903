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

    public func handle(_ request: Request, context: RequestContext, next: any Responder) async throws -> Response {
        guard self.logger.logLevel <= self.level else {
            return try await next.respond(to: request, context: context)
        }
        let start = ContinuousClock.now
        var status = 500
        defer {
            let elapsed = ContinuousClock.now - start
            let (seconds, attoseconds) = elapsed.components
            let milliseconds = Double(seconds) * 1000 + Double(attoseconds) / 1e15
            self.logger.log(
                level: self.level,
                "\(request.method.rawValue) \(request.path) \(status)",
                metadata: [
                    "protocol": "\(context.connection.httpVersion)",
                    "client": "\(context.connection.clientSubject ?? "-")",
                    "ms": "\((milliseconds * 1000).rounded() / 1000)",
                    "connection": "\(context.connection.id)",
                ]
            )
        }
        do {
            let response = try await next.respond(to: request, context: context)
            status = response.status.code
            return response
        } catch let error as any HTTPResponseError {
            status = error.response.status.code
            throw error
        }
    }
}
