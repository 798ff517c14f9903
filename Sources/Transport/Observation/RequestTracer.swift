import HTTPTypes
import Tracing

/// Starts a server span for each request, continuing the trace the client's headers carry (W3C `traceparent` and
/// `tracestate`, or whatever the tracer's propagator reads), and ends it with the request's outcome.
///
/// A server holds one only when a tracer other than `NoOpTracer` is given or bootstrapped (checked once, when the
/// server is made), so an untraced server pays nothing per request.
struct RequestTracer: Sendable {
    let tracer: any Tracer

    /// `tracer`, or the bootstrapped one; `nil` when that is the no-op tracer.
    init?(_ tracer: (any Tracer)?) {
        let chosen = tracer ?? InstrumentationSystem.tracer
        if chosen is NoOpTracer { return nil }
        self.tracer = chosen
    }

    /// A span for `request`, child of the context its headers carry; its name becomes `METHOD route` when it ends.
    func start(_ request: Request) -> any Span {
        var context = InstrumentationContext.topLevel
        self.tracer.extract(request.head.headerFields, into: &context, using: HTTPFieldsExtractor())
        return self.tracer.startSpan(request.method.rawValue, context: context, ofKind: .server)
    }

    /// Sets the OpenTelemetry HTTP attributes, the client certificate's subject and the decision, then ends `span`.
    static func end(_ span: any Span, with record: RequestRecord) {
        if !record.route.isEmpty {
            span.operationName = "\(record.method?.rawValue ?? "_OTHER") \(record.route)"
        }
        var attributes = span.attributes
        attributes["http.request.method"] = record.method?.rawValue ?? "_OTHER"
        if let path = record.path { attributes["url.path"] = String(path) }
        if !record.route.isEmpty { attributes["http.route"] = record.route }
        attributes["http.response.status_code"] = record.status
        attributes["network.protocol.name"] = "http"
        attributes["network.protocol.version"] = record.connection.httpVersion == .http2 ? "2" : "1.1"
        attributes["tls.protocol.version"] = record.connection.tls.protocolVersion
        if let subject = record.clientSubject { attributes["tls.client.subject"] = subject }
        attributes["gatehouse.listener"] = record.listener
        attributes["gatehouse.decision"] = record.decision.rawValue
        if let policy = record.policy { attributes["gatehouse.policy"] = policy }
        if let reason = record.reason { attributes["gatehouse.reason"] = reason }
        span.attributes = attributes
        // OpenTelemetry's rule for server spans: only a 5xx is an error (a 4xx is the client's).
        if record.status >= 500 { span.setStatus(SpanStatus(code: .error)) }
        span.end()
    }
}

/// Reads trace-context headers (`traceparent`, `tracestate`, …) from a request's fields.
struct HTTPFieldsExtractor: Extractor {
    func extract(key: String, from fields: HTTPFields) -> String? {
        guard let name = HTTPField.Name(key) else { return nil }
        return fields[name]
    }
}
