/// One connection's spare ``RequestObservation``: a request answered at once (on the event loop, without a task)
/// hands its observation back once nothing else holds it, and the connection's next request fills it again, so an
/// observed request allocates no object of its own.
///
/// `@unchecked Sendable`: used only on its connection's event loop.
final class SpareObservation: @unchecked Sendable {
    // `@exclusivity(unchecked)`: only ever accessed from the connection's event loop, never re-entrantly.
    @exclusivity(unchecked) private var spare: RequestObservation?

    /// An empty observation: the spare one, or a new one when there is none (``RequestObservation/wantsDecision``:
    /// the same for every request of the connection).
    func take(wantsDecision: Bool) -> RequestObservation {
        guard let observation = self.spare else { return RequestObservation(wantsDecision: wantsDecision) }
        self.spare = nil
        return observation
    }

    /// Keeps `observation` for the next request if nothing else holds it (a middleware may have kept the request's
    /// context), emptied.
    func keep(_ observation: inout RequestObservation) {
        guard isKnownUniquelyReferenced(&observation) else { return }
        observation.reset()
        self.spare = observation
    }
}
