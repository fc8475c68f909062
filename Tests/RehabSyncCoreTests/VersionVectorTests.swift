import RehabSyncCore
import Testing

struct VersionVectorTests {
    @Test func comparesEqualHistoriesAsEqual() {
        let left = VersionVector([(Replicas.a, 3), (Replicas.b, 1)])
        let right = VersionVector([(Replicas.b, 1), (Replicas.a, 3)])
        #expect(left.compare(to: right) == .equal)
        #expect(left == right)
    }

    @Test func comparesAStrictPrefixAsBefore() {
        let left = VersionVector([(Replicas.a, 2)])
        let right = VersionVector([(Replicas.a, 3), (Replicas.b, 1)])
        #expect(left.compare(to: right) == .before)
        #expect(right.compare(to: left) == .after)
    }

    @Test func comparesDivergedHistoriesAsConcurrent() {
        let left = VersionVector([(Replicas.a, 3)])
        let right = VersionVector([(Replicas.a, 2), (Replicas.b, 1)])
        #expect(left.compare(to: right) == .concurrent)
        #expect(right.compare(to: left) == .concurrent)
    }

    @Test func mergeTakesThePointwiseMaximum() {
        let left = VersionVector([(Replicas.a, 3), (Replicas.c, 1)])
        let right = VersionVector([(Replicas.a, 2), (Replicas.b, 5)])
        let merged = left.merged(with: right)
        #expect(merged[Replicas.a] == 3)
        #expect(merged[Replicas.b] == 5)
        #expect(merged[Replicas.c] == 1)
        #expect(merged.entries.map(\.replica) == [Replicas.a, Replicas.b, Replicas.c])
    }

    @Test func containsADotUpToTheSeenCounter() {
        let vector = VersionVector([(Replicas.a, 3)])
        #expect(vector.contains(Dot(replica: Replicas.a, counter: 3)))
        #expect(!vector.contains(Dot(replica: Replicas.a, counter: 4)))
        #expect(!vector.contains(Dot(replica: Replicas.b, counter: 1)))
    }

    @Test func dropsZeroCountersSoEqualMeaningIsEqualValue() {
        #expect(VersionVector([(Replicas.a, 0)]) == VersionVector())
    }
}

struct ReplicaIDTests {
    @Test func parsesAndPrintsTheCanonicalForm() throws {
        let text = "5f0c6e1a-9b2d-4c3e-8f4a-0123456789ab"
        let id = try #require(ReplicaID(text))
        #expect(id.description == text)
    }

    @Test func refusesUppercaseAndMalformedIds() {
        #expect(ReplicaID("5F0C6E1A-9B2D-4C3E-8F4A-0123456789AB") == nil)
        #expect(ReplicaID("5f0c6e1a9b2d4c3e8f4a0123456789ab") == nil)
        #expect(ReplicaID("5f0c6e1a-9b2d-4c3e-8f4a-0123456789a") == nil)
        #expect(ReplicaID("5f0c6e1a-9b2d-4c3e-8f4a-0123456789ag") == nil)
        #expect(ReplicaID("") == nil)
    }

    @Test func randomIdsAreVersionFourAndRoundTrip() throws {
        var generator = SplitMix64(seed: 7)
        for _ in 0..<100 {
            let id = ReplicaID.random(using: &generator)
            let text = id.description
            #expect(Array(text)[14] == "4")
            #expect("89ab".contains(Array(text)[19]))
            #expect(ReplicaID(text) == id)
        }
    }

    @Test func ordersLikeItsTextForm() {
        var generator = SplitMix64(seed: 11)
        let ids = (0..<50).map { _ in ReplicaID.random(using: &generator) }
        #expect(ids.sorted().map(\.description) == ids.map(\.description).sorted())
    }
}
