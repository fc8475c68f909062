import Foundation
import RehabSyncCore
import RehabSyncExport
import Testing

struct CellSuppressionTests {
    typealias F = MeasureFigures

    static func table(total: Int, strata: [Int]) -> MeasureFigures {
        MeasureFigures(measure: .interventions, groups: [F.Group(
            code: "performed", populations: [F.Population(code: "initial-population", cell: .count(total))],
            stratifiers: [F.Stratifier(code: "kva-code", system: "s", strata: strata.enumerated().map { F.Stratum(value: "c\($0.offset)", cell: .count($0.element)) })])])
    }

    static func cells(_ figures: MeasureFigures) -> [F.Cell] {
        let group = figures.groups[0]
        return [group.populations[0].cell] + group.stratifiers[0].strata.map(\.cell)
    }

    @Test func countsFromOneToFourAreMaskedAndZeroIsShown() {
        let result = CellSuppression.apply(Self.table(total: 20, strata: [0, 4, 16]), threshold: 5)
        #expect(Self.cells(result)[1] == .count(0))
        #expect(Self.cells(result)[2] == .masked)
    }

    @Test func aTotalThatWouldRevealASuppressedCellIsGuardedByASecondSuppression() {
        // 12 = 3 + 9: with 12 and 9 shown, 3 follows; so 9 is masked as well.
        let result = CellSuppression.apply(Self.table(total: 12, strata: [3, 9]), threshold: 5)
        #expect(Self.cells(result) == [.count(12), .masked, .masked])
        // With no other stratum to mask, the total goes.
        let lone = CellSuppression.apply(Self.table(total: 2, strata: [2, 0]), threshold: 5)
        #expect(Self.cells(lone) == [.masked, .masked, .count(0)])
        let onlyTotal = CellSuppression.apply(Self.table(total: 7, strata: [7, 0, 0]), threshold: 5)
        #expect(Self.cells(onlyTotal) == [.count(7), .count(7), .count(0), .count(0)])
    }

    @Test func aScoreOverFewerThanFiveValuesIsMasked() {
        var group = F.Group(code: "g", populations: [F.Population(code: "initial-population", cell: .count(4))])
        group.score = F.Score(days: 12, masked: false)
        let result = CellSuppression.apply(MeasureFigures(measure: .referralWaitingTime, groups: [group]), threshold: 5)
        #expect(result.groups[0].score == F.Score(days: nil, masked: true))
        #expect(result.groups[0].populations[0].cell == .masked)
    }

    /// Random tables partitioned two ways: after suppression no small count shows, and no
    /// equation has exactly one masked cell (which subtraction would reveal).
    @Test func noSuppressedValueCanBeWorkedOutInRandomTables() {
        let seed = ProcessInfo.processInfo.environment["REHABSYNC_SEED"].flatMap(UInt64.init) ?? 20_261_202
        var random = SplitMix64(seed: seed)
        var complementaryCases = 0
        for _ in 0..<2_000 {
            let strataCount = Int(random.next() % 5) + 1
            let first = (0..<strataCount).map { _ in Int(random.next() % 12) }
            let total = first.reduce(0, +)
            // A second breakdown of the same total.
            var second: [Int] = []
            var left = total
            while left > 0 { let part = Int(random.next() % UInt64(left)) + 1; second.append(part); left -= part }
            var figures = Self.table(total: total, strata: first)
            figures.groups[0].stratifiers.append(F.Stratifier(code: "profession", system: "s",
                                                              strata: second.enumerated().map { F.Stratum(value: "p\($0.offset)", cell: .count($0.element)) }))
            let result = CellSuppression.apply(figures, threshold: 5)
            let group = result.groups[0]
            var ok = true
            for stratifier in group.stratifiers {
                let cells = [group.populations[0].cell] + stratifier.strata.map(\.cell)
                if cells.contains(where: { ($0.count ?? 0) >= 1 && ($0.count ?? 0) < 5 }) { ok = false }
                if cells.filter({ $0 == .masked }).count == 1 { ok = false }
            }
            let primary = (first + second).filter { $0 >= 1 && $0 < 5 }.count
            let masked = (group.stratifiers.flatMap(\.strata) + [F.Stratum(value: "", cell: group.populations[0].cell)]).filter { $0.cell == .masked }.count
            if masked > primary { complementaryCases += 1 }
            #expect(ok, "seed \(seed): \(first) / \(second) gave \(group)")
            if !ok { return }
        }
        #expect(complementaryCases > 200, "seed \(seed): only \(complementaryCases) tables needed complementary suppression")
    }
}
