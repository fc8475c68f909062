import Foundation
import RehabSyncCore
import RehabSyncFuzzing
import Testing

/// A bounded, seeded fuzz run of every target over the corpus in `Corpus/`, in every
/// `swift test`. A crash stops the test process; a broken property fails with the seed,
/// the iteration and the input. Longer runs: REHABSYNC_FUZZ_ITERATIONS, or libFuzzer
/// (.ci/fuzz.sh).
struct FuzzTargetTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Corpus")

    static func seeds(_ target: FuzzTarget) throws -> [[UInt8]] {
        let directory = corpus.appendingPathComponent(target.rawValue)
        return try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted().map { name in
            Array(try Data(contentsOf: directory.appendingPathComponent(name)))
        }
    }

    static let iterations = Int(ProcessInfo.processInfo.environment["REHABSYNC_FUZZ_ITERATIONS"] ?? "") ?? 4_000
    static let seed = UInt64(ProcessInfo.processInfo.environment["REHABSYNC_SEED"] ?? "") ?? 0x00F5_A11E

    @Test(arguments: FuzzTarget.allCases)
    func everyCorpusInputIsAcceptedAndMutationsKeepTheTargetsProperties(_ target: FuzzTarget) throws {
        let seeds = try Self.seeds(target)
        try #require(!seeds.isEmpty, "no corpus for \(target.rawValue)")
        for (index, input) in seeds.enumerated() {
            // The corpus is the valid shapes the mutations start from.
            let outcome = try target.run(input)
            #expect(outcome == .accepted, "corpus input \(index) of \(target.rawValue) is refused")
        }
        var mutator = SeededMutator(seed: Self.seed)
        var accepted = 0
        var refused = 0
        for iteration in 0..<Self.iterations {
            let input = mutator.mutate(seeds[mutator.below(seeds.count)], other: seeds[mutator.below(seeds.count)])
            do {
                switch try target.run(input) {
                case .accepted: accepted += 1
                case .refused: refused += 1
                }
            } catch {
                Issue.record("\(target.rawValue), seed \(Self.seed), iteration \(iteration): \(error); input base64 \(Data(input).base64EncodedString())")
                return
            }
        }
        // Both sides of every parser must be reached, or the run proves little.
        #expect(accepted >= Self.iterations / 50, "\(target.rawValue): only \(accepted) mutated inputs accepted (seed \(Self.seed))")
        #expect(refused >= Self.iterations / 10, "\(target.rawValue): only \(refused) mutated inputs refused (seed \(Self.seed))")
    }
}
