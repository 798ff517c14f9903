/// Sees every request once its response was written, or once its stream or connection ended before it could be:
/// an access log, request metrics.
///
/// Called on the connection's event loop, once per request: do not block (buffer, and write elsewhere). A server
/// with no observer reads no clock and builds no record.
public protocol RequestObserver: Sendable {
    /// Takes the record of one finished request.
    func observe(_ record: RequestRecord)
}

/// Several observers, each told of every request in order.
public struct RequestObservers: RequestObserver {
    private let observers: [any RequestObserver]

    /// Tells each of `observers`, in order; `nil` when there are none, so that a server observes nothing.
    public static func combining(_ observers: [any RequestObserver]) -> (any RequestObserver)? {
        switch observers.count {
        case 0: nil
        case 1: observers[0]
        default: RequestObservers(observers: observers)
        }
    }

    /// `observer` without its request metrics (the first ``RequestMetrics`` in it), which a server's connections
    /// record without building a record, and those metrics; `nil` for what there is none of.
    static func separatingMetrics(
        _ observer: (any RequestObserver)?
    ) -> (metrics: RequestMetrics?, others: (any RequestObserver)?) {
        if let metrics = observer as? RequestMetrics { return (metrics, nil) }
        guard let combined = observer as? RequestObservers,
            let index = combined.observers.firstIndex(where: { $0 is RequestMetrics })
        else { return (nil, observer) }
        var others = combined.observers
        let metrics = others.remove(at: index) as? RequestMetrics
        return (metrics, Self.combining(others))
    }

    /// Passes `record` to every observer.
    public func observe(_ record: RequestRecord) {
        for observer in self.observers { observer.observe(record) }
    }
}
