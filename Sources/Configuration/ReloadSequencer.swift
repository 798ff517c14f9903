/// Runs reloads one at a time, coalescing the triggers that arrive during one.
///
/// A trigger (SIGHUP, a file change, a call) while no reload runs starts one at once. Triggers that arrive while
/// a reload runs wait for it, then share a single next reload that names all their reasons: a burst of SIGHUPs
/// during a reload costs one more reload, not one each, and two reloads never interleave. Each caller gets the
/// result of the reload that served its trigger.
actor ReloadSequencer {
    /// What a waiting trigger is told when the reload before it finishes.
    private enum Turn {
        /// Run the next reload, for these reasons (the caller's and every other waiting trigger's).
        case run([String])
        /// Another trigger ran the reload that served this one; this was its result.
        case served(Bool)
    }

    private var isRunning = false
    /// Triggers that arrived during the reload that is running now; the first of them runs the next one.
    private var waiting: [(reason: String, turn: CheckedContinuation<Turn, Never>)] = []
    /// The other triggers the running reload serves, told its result when it ends.
    private var served: [CheckedContinuation<Turn, Never>] = []

    /// How many triggers wait for the reload under way to finish.
    var waitingTriggers: Int { self.waiting.count }

    /// Runs `perform` for `reason` now, or once the reload under way has finished (together with every other
    /// trigger that arrived meanwhile).
    /// - Parameter perform: the reload, given the reasons it serves; returns whether it succeeded.
    /// - Returns: the result of the reload that served this trigger.
    func reload(reason: String, perform: @Sendable ([String]) async -> Bool) async -> Bool {
        var reasons = [reason]
        if self.isRunning {
            switch await withCheckedContinuation({ self.waiting.append((reason, $0)) }) {
            case .served(let succeeded): return succeeded
            case .run(let batch): reasons = batch
            }
        }
        self.isRunning = true
        let succeeded = await perform(reasons)
        for trigger in self.served { trigger.resume(returning: .served(succeeded)) }
        self.served = []
        if let next = self.waiting.first {
            // The first waiting trigger runs the next reload; `isRunning` stays set until it has.
            let batch = self.waiting
            self.waiting = []
            self.served = batch.dropFirst().map(\.turn)
            next.turn.resume(returning: .run(batch.map(\.reason)))
        } else {
            self.isRunning = false
        }
        return succeeded
    }
}
