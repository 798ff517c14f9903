import Synchronization
import Testing

@testable import GatehouseConfiguration

/// Reloads that the test holds open until it releases them, recording what ran and how many ran at once.
private final class HeldReloads: Sendable {
    private struct State {
        var runs: [[String]] = []
        var released = 0
        var active = 0
        var mostActive = 0
    }
    private let state = Mutex(State())
    /// The result each run returns, by run number (1-based); `true` when not listed.
    let results: [Int: Bool]

    init(results: [Int: Bool] = [:]) { self.results = results }

    var runs: [[String]] { self.state.withLock { $0.runs } }
    var mostActive: Int { self.state.withLock { $0.mostActive } }
    func release() { self.state.withLock { $0.released += 1 } }

    /// The reload: records its reasons, waits until released, returns its listed result.
    func perform(_ reasons: [String]) async -> Bool {
        let run = self.state.withLock { state in
            state.runs.append(reasons)
            state.active += 1
            state.mostActive = max(state.mostActive, state.active)
            return state.runs.count
        }
        while self.state.withLock({ $0.released < run }) { try? await Task.sleep(for: .milliseconds(2)) }
        self.state.withLock { $0.active -= 1 }
        return self.results[run] ?? true
    }
}

/// Polls `condition` every 5 ms for up to 20 s.
private func eventually(_ condition: () async -> Bool) async -> Bool {
    for _ in 0..<4000 {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return await condition()
}

@Suite struct ReloadSequencerTests {
    @Test func triggersDuringAReloadWaitForItAndShareOneMoreEachGettingItsResult() async throws {
        let sequencer = ReloadSequencer()
        let held = HeldReloads(results: [2: false])
        async let first = sequencer.reload(reason: "first") { await held.perform($0) }
        #expect(await eventually { held.runs.count == 1 })

        // Ten triggers while the first reload runs: none starts a reload of its own.
        let burst = Task {
            await withTaskGroup(of: Bool.self) { group in
                for index in 0..<10 {
                    group.addTask { await sequencer.reload(reason: "burst \(index)") { await held.perform($0) } }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
        }
        #expect(await eventually { await sequencer.waitingTriggers == 10 })
        #expect(held.runs.count == 1)

        held.release()
        #expect(await first == true)
        #expect(await eventually { held.runs.count == 2 }, "the ten share the second reload")
        #expect(Set(held.runs[1]) == Set((0..<10).map { "burst \($0)" }))

        // A trigger during the second reload waits for it and runs third, alone.
        async let late = sequencer.reload(reason: "late") { await held.perform($0) }
        #expect(await eventually { await sequencer.waitingTriggers == 1 })
        held.release()
        #expect(
            await burst.value == Array(repeating: false, count: 10),
            "each gets the result of the reload that served it"
        )
        #expect(await eventually { held.runs.count == 3 })
        held.release()
        #expect(await late == true)

        #expect(held.runs.count == 3)
        #expect(held.runs[2] == ["late"])
        #expect(held.mostActive == 1, "never two reloads at once")
        #expect(await sequencer.waitingTriggers == 0)
    }

    @Test func aTriggerAfterAReloadFinishedRunsAtOnce() async throws {
        let sequencer = ReloadSequencer()
        let held = HeldReloads()
        held.release()
        #expect(await sequencer.reload(reason: "one") { await held.perform($0) })
        held.release()
        #expect(await sequencer.reload(reason: "two") { await held.perform($0) })
        #expect(held.runs == [["one"], ["two"]])
    }
}
