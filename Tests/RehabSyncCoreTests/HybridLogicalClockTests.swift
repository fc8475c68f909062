import RehabSyncCore
import Testing

struct HybridLogicalClockTests {
    @Test func followsTheWallClockWhenItMovesForward() {
        var clock = HybridLogicalClock()
        #expect(clock.tick(wallMilliseconds: 1_000) == HLCTimestamp(milliseconds: 1_000, logical: 0))
        #expect(clock.tick(wallMilliseconds: 2_000) == HLCTimestamp(milliseconds: 2_000, logical: 0))
    }

    @Test func staysMonotonicWhenTheWallClockJumpsBack() {
        var clock = HybridLogicalClock()
        let before = clock.tick(wallMilliseconds: 5_000)
        let afterJump = clock.tick(wallMilliseconds: 1_000)
        let later = clock.tick(wallMilliseconds: 1_500)
        #expect(before < afterJump)
        #expect(afterJump < later)
        #expect(later == HLCTimestamp(milliseconds: 5_000, logical: 2))
    }

    @Test func readingsAfterObservingARemoteClockAreLaterThanIt() {
        var clock = HybridLogicalClock()
        _ = clock.tick(wallMilliseconds: 1_000)
        let remote = HLCTimestamp(milliseconds: 9_000, logical: 4)
        let received = clock.observe(remote, wallMilliseconds: 1_001)
        #expect(received > remote)
        #expect(clock.tick(wallMilliseconds: 1_002) > received)
    }

    @Test func movesAMillisecondAheadInsteadOfOverflowingTheLogicalCounter() {
        var clock = HybridLogicalClock(last: HLCTimestamp(milliseconds: 10, logical: Dot.maximumCounter))
        #expect(clock.tick(wallMilliseconds: 5) == HLCTimestamp(milliseconds: 11, logical: 0))
    }

    @Test func judgesFarFutureReadingsImplausible() {
        let reading = HLCTimestamp(milliseconds: 10_000_000, logical: 0)
        #expect(!HybridLogicalClock.isPlausible(reading, wallMilliseconds: 1_000, maximumDriftMilliseconds: 60_000))
        #expect(HybridLogicalClock.isPlausible(reading, wallMilliseconds: 9_990_000, maximumDriftMilliseconds: 60_000))
    }

    @Test func neverGoesBackwardsUnderRandomWallClocks() {
        for seed in propertySeeds(default: [1, 2, 3]) {
            var generator = SplitMix64(seed: seed)
            var clock = HybridLogicalClock()
            var previous = HLCTimestamp.zero
            for _ in 0..<2_000 {
                let wall = Int64(generator.next() % 10_000)
                let reading: HLCTimestamp
                if generator.next() % 4 == 0 {
                    let remote = HLCTimestamp(milliseconds: Int64(generator.next() % 10_000), logical: Int64(generator.next() % 5))
                    reading = clock.observe(remote, wallMilliseconds: wall)
                    #expect(reading > remote, "seed \(seed)")
                } else {
                    reading = clock.tick(wallMilliseconds: wall)
                }
                #expect(reading > previous, "seed \(seed)")
                previous = reading
            }
        }
    }
}
