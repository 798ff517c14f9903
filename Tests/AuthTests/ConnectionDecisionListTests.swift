import Foundation
import Testing

@testable import GatehouseAuth

@Suite("A connection's decision list stays bounded")
struct ConnectionDecisionListTests {
    func decision(_ owner: CacheToken, next: ConnectionDecision?) -> ConnectionDecision {
        ConnectionDecision(
            owner: owner,
            generation: 1,
            validUntil: .distantFuture,
            answer: .notApplicable(challenge: .forbidden(reason: "test")),
            next: next
        )
    }

    func length(_ list: ConnectionDecision?) -> Int {
        var count = 0
        var node = list
        while let current = node {
            count += 1
            node = current.next
        }
        return count
    }

    /// A long-lived connection across 100 reloads: every reload's new authenticator adds its decision, and the
    /// list keeps the newest ones only.
    @Test func decisionsOfReplacedAuthenticatorsAreDroppedOldestFirst() {
        var list: ConnectionDecision?
        var owners: [CacheToken] = []
        for _ in 0..<100 {
            let owner = CacheToken()
            owners.append(owner)
            list = self.decision(owner, next: list?.removing(owner))
        }
        #expect(self.length(list) == ConnectionDecision.maxPerConnection)
        #expect(list?.find(owners.last!) != nil)
        #expect(list?.find(owners[100 - ConnectionDecision.maxPerConnection]) != nil)
        #expect(list?.find(owners[99 - ConnectionDecision.maxPerConnection]) == nil)
    }

    @Test func anAuthenticatorsNewDecisionReplacesItsOldOne() {
        let first = CacheToken()
        let second = CacheToken()
        var list = self.decision(first, next: nil)
        list = self.decision(second, next: list.removing(second))
        list = self.decision(first, next: list.removing(first))
        #expect(self.length(list) == 2)
        #expect(list.owner === first && list.next?.owner === second)
    }
}
