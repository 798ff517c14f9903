import HTTPTypes
import NIOCore
import Tracing

/// What a listener's connections report each request to.
struct RequestObserving: Sendable {
    /// The listener's name for records: its configured name, or `host:port`.
    let listener: String
    let observer: (any RequestObserver)?
    let tracer: RequestTracer?

    /// `nil` when neither an observer nor a tracer would see anything: connections then observe nothing.
    init?(listener: String, observer: (any RequestObserver)?, tracer: RequestTracer?) {
        guard observer != nil || tracer != nil else { return nil }
        self.listener = listener
        self.observer = observer
        self.tracer = tracer
    }
}

/// An observed request between its dispatch and its response.
struct ObservedRequest: Sendable {
    let method: HTTPRequest.Method
    let path: Substring
    let start: ContinuousClock.Instant
    /// Filled in by the chain: route and decision.
    let observation: RequestObservation
    let span: (any Span)?
}

extension Connection {
    /// ``dispatch(_:on:writer:)`` when something observes: the chain runs with a ``RequestObservation`` in its
    /// context (and inside the request's span when tracing), and the record goes out once the response is written.
    nonisolated func dispatchObserved(
        _ request: Request,
        on stream: StreamID,
        writer: any ResponseWriter,
        observing: RequestObserving
    ) {
        let observed = ObservedRequest(
            method: request.method,
            path: request.path,
            start: .now,
            observation: RequestObservation(),
            span: observing.tracer?.start(request)
        )
        let context = RequestContext(
            connection: self.info,
            connectionStore: ConnectionStore(connection: self),
            observation: observed.observation
        )
        let immediate = Self.within(observed.span) { self.respondImmediately(to: request, context: context) }
        if let response = immediate {
            writer.write(response, for: stream)
            self.finish(observed, with: response)
            return
        }
        let writer = NIOLoopBound(writer, eventLoop: self.eventLoop)
        Self.within(observed.span) {
            self.assumeIsolated {
                $0.received(request, context: context, on: stream, writer: writer, observed: observed)
            }
        }
    }

    /// Runs `body` with `span`'s context as the current one, so that spans the chain starts are its children.
    private static func within<T>(_ span: (any Span)?, _ body: () -> T) -> T {
        guard let span else { return body() }
        return InstrumentationContext.withValue(span.context, operation: body)
    }

    /// Reports `observed`, answered with `response`.
    nonisolated func finish(_ observed: ObservedRequest, with response: Response) {
        let bodyBytes = observed.method == .head ? 0 : response.body.readableBytes
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
        let record = RequestRecord(
            listener: observing.listener,
            connection: self.info,
            method: observed.method,
            path: observed.path,
            route: observation.route,
            status: status,
            bodyBytes: bodyBytes,
            duration: .now - observed.start,
            policy: observation.policy,
            decision: observation.decision,
            reason: observation.reason
        )
        observing.observer?.observe(record)
        if let span = observed.span { RequestTracer.end(span, with: record) }
    }

    /// Transport answered a request itself, before or instead of dispatching it (400, 408, 413, 431, …).
    nonisolated func answeredItself(status: HTTPResponse.Status, bodyBytes: Int, request: HTTPRequest?) {
        guard let observing = self.observing, let observer = observing.observer else { return }
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
