/// Small-cell suppression, the rule every figure passes before it leaves the server.
///
/// 1. Primary: a count from 1 to `threshold - 1` is masked. Zero is shown: it reveals no
///    patient. A score (median, percentile) over fewer than `threshold` values is masked.
/// 2. Complementary: each stratifier is an equation, total = sum of strata. When exactly one
///    cell of an equation is masked, the smallest other non-zero stratum is masked too (or
///    the total when no such stratum exists), so the masked value cannot be worked out by
///    subtraction. Masking a total touches every stratifier of the group, so the rule is
///    repeated until nothing changes.
///
/// A masked value is never replaced by a made-up number: the count is absent and marked.
public enum CellSuppression {
    public static func apply(_ figures: MeasureFigures, threshold: Int) -> MeasureFigures {
        var result = figures
        for index in result.groups.indices {
            suppress(&result.groups[index], threshold: threshold)
        }
        return result
    }

    static func isSmall(_ cell: MeasureFigures.Cell, _ threshold: Int) -> Bool {
        guard let count = cell.count else { return false }
        return count >= 1 && count < threshold
    }

    static func suppress(_ group: inout MeasureFigures.Group, threshold: Int) {
        let scoreBasis = group.populations.first?.cell.count ?? 0
        for index in group.populations.indices where isSmall(group.populations[index].cell, threshold) {
            group.populations[index].cell = .masked
        }
        for stratifier in group.stratifiers.indices {
            for stratum in group.stratifiers[stratifier].strata.indices where isSmall(group.stratifiers[stratifier].strata[stratum].cell, threshold) {
                group.stratifiers[stratifier].strata[stratum].cell = .masked
            }
        }
        if var score = group.score, score.days != nil, scoreBasis < threshold {
            score.days = nil
            score.masked = true
            group.score = score
        }
        guard !group.populations.isEmpty else { return }
        var changed = true
        while changed {
            changed = false
            for stratifier in group.stratifiers.indices {
                let strata = group.stratifiers[stratifier].strata
                let maskedCount = strata.filter { $0.cell == .masked }.count + (group.populations[0].cell == .masked ? 1 : 0)
                guard maskedCount == 1 else { continue }
                let candidate = strata.indices
                    .filter { (strata[$0].cell.count ?? 0) > 0 }
                    .min { (strata[$0].cell.count ?? 0, $0) < (strata[$1].cell.count ?? 0, $1) }
                if let candidate {
                    group.stratifiers[stratifier].strata[candidate].cell = .masked
                } else {
                    group.populations[0].cell = .masked
                }
                changed = true
            }
        }
    }
}
