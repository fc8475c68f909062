@testable import RehabSyncHTTP
import Testing

struct DeadlineHeapTests {
    @Test func popsDueEntriesSoonestFirstWhateverTheOrderTheyCameIn() {
        var generator = SystemRandomNumberGenerator()
        let seed = UInt64.random(in: 0...UInt64.max, using: &generator)
        var state = seed
        func next() -> Int64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int64(state >> 44)
        }
        let start = ContinuousClock.now
        var heap = DeadlineHeap<Int>()
        var offsets: [Int64] = []
        for index in 0..<500 {
            let offset = next() % 10_000
            offsets.append(offset)
            heap.push(start + .milliseconds(offset), index)
        }
        let cutoff = start + .milliseconds(5_000)
        var popped: [ContinuousClock.Instant] = []
        while let entry = heap.popDue(at: cutoff) { popped.append(entry.instant) }
        #expect(popped == popped.sorted(), "seed \(seed)")
        #expect(popped.count == offsets.filter { $0 <= 5_000 }.count, "seed \(seed)")
        #expect(heap.count == 500 - popped.count)
        #expect(heap.first.map { $0.instant > cutoff } ?? true)
    }
}
