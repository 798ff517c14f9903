import HTTPTypes
import NIOCore
import Tracing

/// What one connection reports each request to.
///
/// A class: a connection reads it several times per request, and a reference is one count where the struct's
/// copies were one per field.
final class RequestObserving: Sendable {
    /// The listener's name for records: its configured name, or `host:port`.
    let listener: String
    /// The observers that take a ``RequestRecord``; `nil` when request metrics are all that observe.
    let observer: (any RequestObserver)?
    /// The request metrics, recorded without a record; `nil` when none observe.
    let metrics: ConnectionRequestMetrics?
    let tracer: RequestTracer?
    /// Whether a request's ``RequestRecord`` is wanted (an observer other than the metrics, or a tracer): decided
    /// once, as a flag, because testing the optional existentials copies them.
    let wantsRecords: Bool
    /// The observation the connection's next request fills.
    let spareObservation = SpareObservation()

    /// `nil` when neither an observer nor a tracer would see anything: connections then observe nothing.
    init?(listener: String, observer: (any RequestObserver)?, tracer: RequestTracer?) {
        guard observer != nil || tracer != nil else { return nil }
        let (metrics, others) = RequestObservers.separatingMetrics(observer)
        self.listener = listener
        self.observer = others
        self.metrics = metrics.map { ConnectionRequestMetrics(metrics: $0, listener: listener) }
        self.tracer = tracer
        self.wantsRecords = others != nil || tracer != nil
    }
}

/// An observed request between its dispatch and its response.
struct ObservedRequest: Sendable {
    let method: HTTPRequest.Method
    /// `nil` when nothing but request metrics observes (they do not need it).
    let path: Substring?
    /// When the request was dispatched, `NIODeadline`'s monotonic nanoseconds.
    let start: UInt64
    /// Filled in by the chain: route and decision.
    let observation: RequestObservation
    let span: (any Span)?
}

extension Connection {
    /// ``dispatch(_:on:writer:)`` when something observes: the chain runs with a ``RequestObservation`` in its
    /// context (and inside the request's span when tracing), and the record (or, with nothing but request metrics,
    /// the count) goes out once the response is written.
    /// The observation of a request answered at once is the next request's (``SpareObservation``).
    nonisolated func dispatchObserved(
        _ request: Request,
        on stream: StreamID,
        writer: any ResponseWriter,
        observing: RequestObserving
    ) {
        var observation = observing.spareObservation.take(wantsDecision: observing.wantsRecords)
        if observing.wantsRecords {
            self.dispatchObserved(request, on: stream, writer: writer, observing: observing, observation: observation)
        } else {
            self.dispatchMetered(request, on: stream, writer: writer, observing: observing, observation: observation)
        }
        observing.spareObservation.keep(&observation)
    }

    /// ``dispatchObserved(_:on:writer:observing:)`` when request metrics are all that observe: no record, no span,
    /// so a request answered at once is counted straight from its route and status.
    private nonisolated func dispatchMetered(
        _ request: Request,
        on stream: StreamID,
        writer: any ResponseWriter,
        observing: RequestObserving,
        observation: RequestObservation
    ) {
        let start = NIODeadline.now().uptimeNanoseconds
        let context = RequestContext(
            connection: self.info,
            connectionStore: ConnectionStore(connection: self),
            observation: observation
        )
        if let response = self.respondImmediately(to: request, context: context) {
            let status = response.status.code
            writer.write(response, for: stream)
            observing.metrics?.record(
                route: observation.route,
                method: request.method,
                status: status,
                http2: self.info.httpVersion == .http2,
                nanoseconds: Int64(truncatingIfNeeded: NIODeadline.now().uptimeNanoseconds &- start)
            )
            return
        }
        let observed = ObservedRequest(
            method: request.method,
            path: nil,
            start: start,
            observation: observation,
            span: nil
        )
        let writer = NIOLoopBound(writer, eventLoop: self.eventLoop)
        self.assumeIsolated { $0.received(request, context: context, on: stream, writer: writer, observed: observed) }
    }

    private nonisolated func dispatchObserved(
        _ request: Request,
        on stream: StreamID,
        writer: any ResponseWriter,
        observing: RequestObserving,
        observation: RequestObservation
    ) {
        let observed = ObservedRequest(
            method: request.method,
            path: observing.wantsRecords ? request.path : nil,
            start: NIODeadline.now().uptimeNanoseconds,
            observation: observation,
            span: observing.tracer?.start(request)
        )
        let context = RequestContext(
            connection: self.info,
            connectionStore: ConnectionStore(connection: self),
            observation: observed.observation
        )
        let immediate = Self.within(observed.span) { self.respondImmediately(to: request, context: context) }
        if let response = immediate, response.streamedBody == nil {
            writer.write(response, for: stream)
            self.finish(observed, with: response)
            return
        }
        let writer = NIOLoopBound(writer, eventLoop: self.eventLoop)
        Self.within(observed.span) {
            self.assumeIsolated {
                $0.received(
                    request,
                    context: context,
                    on: stream,
                    writer: writer,
                    observed: observed,
                    response: immediate
                )
            }
        }
    }

    /// Runs `body` with `span`'s context as the current one, so that spans the chain starts are its children.
    private static func within<T>(_ span: (any Span)?, _ body: () -> T) -> T {
        guard let span else { return body() }
        return InstrumentationContext.withValue(span.context, operation: body)
    }

    /// Reports `observed`, answered with `response`; `streamedBytes` is what went out of a streamed body.
    nonisolated func finish(_ observed: ObservedRequest, with response: Response, streamedBytes: Int? = nil) {
        let bodyBytes = observed.method == .head ? 0 : streamedBytes ?? response.body.readableBytes
        self.report(observed, status: response.status.code, bodyBytes: bodyBytes)
    }

    /// Reports `observed` as never answered: the client reset the stream or closed the connection first (499, as
    /// nginx logs it).
    nonisolated func finishUnanswered(_ observed: ObservedRequest) {
        self.report(observed, status: 499, bodyBytes: 0)
    }

    private nonisolated func report(_ observed: ObservedRequest, status: Int, bodyBytes: Int) {
        guard let observing = self.observing else { return }
        let observation = observed.observation
        let nanoseconds = Int64(truncatingIfNeeded: NIODeadline.now().uptimeNanoseconds &- observed.start)
        observing.metrics?.record(
            route: observation.route,
            method: observed.method,
            status: status,
            http2: self.info.httpVersion == .http2,
            nanoseconds: nanoseconds
        )
        guard observing.wantsRecords else { return }
        var record = RequestRecord(
            listener: observing.listener,
            connection: self.info,
            method: observed.method,
            path: observed.path,
            route: observation.route,
            status: status,
            bodyBytes: bodyBytes,
            duration: .nanoseconds(nanoseconds),
            policy: observation.policy,
            decision: observation.decision,
            reason: observation.reason
        )
        record.forwardedClientCertificate = observation.forwardedClientCertificate
        observing.observer?.observe(record)
        if let span = observed.span { RequestTracer.end(span, with: record) }
    }

    /// Transport answered a request itself, before or instead of dispatching it (400, 408, 413, 431, …).
    nonisolated func answeredItself(status: HTTPResponse.Status, bodyBytes: Int, request: HTTPRequest?) {
        guard let observing = self.observing else { return }
        observing.metrics?.record(
            route: "",
            method: request?.method,
            status: status.code,
            http2: self.info.httpVersion == .http2,
            nanoseconds: 0
        )
        guard let observer = observing.observer else { return }
        let target = request.map { Request(head: $0) }
        observer.observe(
            RequestRecord(
                listener: observing.listener,
                connection: self.info,
                method: request?.method,
                path: target?.path,
                route: "",
                status: status.code,
                bodyBytes: bodyBytes,
                duration: .zero,
                policy: nil,
                decision: .none,
                reason: nil
            )
        )
    }
}
