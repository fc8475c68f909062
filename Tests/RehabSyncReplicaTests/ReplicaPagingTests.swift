import Foundation
import RehabSyncClient
import RehabSyncCore
import RehabSyncReplica
import RehabSyncStorage
import Synchronization
import Testing

/// The replica's multi-batch push and multi-page pull, with sizes of three records so that
/// twenty records cross many batches and pages, and syncs interrupted between pages.
struct ReplicaPagingTests {
    typealias E2E = ReplicaEndToEndTests

    static let records = 20
    static let size = 3

    struct Interrupted: Error {}

    static func replica(_ world: E2E.World, _ index: Int,
                        pageStoring: (@Sendable (Int, Int64) throws -> Void)? = nil) throws -> Replica {
        try Replica(path: world.directory.appendingPathComponent("replica-\(index).sqlite").path, reference: world.reference,
                    clientOptions: HTTPClientOptions(connectTimeoutSeconds: 2, totalTimeoutSeconds: 20),
                    retry: RetryPolicy(maximumAttempts: 2, initialDelaySeconds: 0.05, maximumDelaySeconds: 0.1),
                    paging: SyncPaging(pushBatchRecords: size, pullPageRecords: size, pageStoring: pageStoring))
    }

    @Test func twentyRecordsPushedInBatchesOfThreeReachTheServerOnceInSevenRequests() throws {
        let world = try E2E.World(replicaCount: 1)
        let writer = try Self.replica(world, 0)
        for number in 0..<Self.records { try writer.write(collection: "carePlans", id: "p\(number)", values: E2E.plan("Plan \(number)")) }
        let report = try writer.sync()
        #expect(report.pushed == Self.records)
        #expect(try writer.pendingCount() == 0)
        #expect(try world.server.service.store.read { try $0.count() } == Self.records)
        let metrics = world.server.service.metrics.exposition(openConflicts: 0, devicesByLastSeen: [])
        let pushes = metrics.split(separator: "\n").first { $0.hasPrefix("rehabsync_http_requests_total{") && $0.contains("push") && $0.contains("status=\"200\"") }
        #expect(pushes?.hasSuffix(" \((Self.records + Self.size - 1) / Self.size)") == true, "push requests: \(pushes ?? "none")")
        #expect(try writer.dump() == world.serverDump())
    }

    @Test func aPullInterruptedInsideAPageStoresNeitherItsRecordsNorItsCursorAndTheNextSyncBringsTheRestOnce() throws {
        let world = try E2E.World(replicaCount: 2)
        let writer = world.replicas[0]
        for number in 0..<Self.records { try writer.write(collection: "carePlans", id: "p\(number)", values: E2E.plan("Plan \(number)")) }
        _ = try writer.sync()
        // The server's order of delivery, to name the records of each page.
        let delivered = try world.server.service.store.read { try $0.changes(since: 0, units: nil, limit: Self.records) }.map(\.recordID)
        #expect(delivered.count == Self.records)

        // First sync: pages 1 and 2 commit; the third is interrupted before its commit.
        let cursors = Mutex<[Int64]>([])
        let first = try Self.replica(world, 1) { page, cursor in
            if page == 3 { throw Interrupted() }
            cursors.withLock { $0.append(cursor) }
        }
        #expect(throws: Interrupted.self) { try first.sync() }
        #expect(try first.settings().cursor == cursors.withLock { $0.last })
        #expect(Set(try first.list().map(\.recordID)) == Set(delivered.prefix(2 * Self.size)))

        // Second sync: resumes at the stored cursor; its first page commits, its second does not.
        let second = try Self.replica(world, 1) { page, cursor in
            if page == 2 { throw Interrupted() }
            cursors.withLock { $0.append(cursor) }
        }
        #expect(throws: Interrupted.self) { try second.sync() }
        #expect(try second.settings().cursor == cursors.withLock { $0.last })
        #expect(Set(try second.list().map(\.recordID)) == Set(delivered.prefix(3 * Self.size)))

        // Third sync: the rest, in pages of three, nothing lost or twice.
        let third = try Self.replica(world, 1) { _, cursor in cursors.withLock { $0.append(cursor) } }
        let report = try third.sync()
        #expect(report.pulled == Self.records - 3 * Self.size)
        #expect(report.digestMatches)
        #expect(try third.list().map(\.recordID).sorted() == delivered.sorted())
        #expect(try third.dump() == world.serverDump())
        let all = cursors.withLock { $0 }
        #expect(all == all.sorted() && Set(all).count == all.count, "cursors went back or repeated: \(all)")
    }

    /// Pull requests the server has answered with 200.
    static func pullsAnswered(_ world: E2E.World) -> Int {
        let metrics = world.server.service.metrics.exposition(openConflicts: 0, devicesByLastSeen: [])
        let line = metrics.split(separator: "\n").first {
            $0.hasPrefix("rehabsync_http_requests_total{") && $0.contains("pull") && $0.contains("status=\"200\"")
        }
        return line.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
    }

    @Test func theNextPageIsFetchedWhileOneIsStoredYetAnInterruptedSyncKeepsTheCursorOfTheLastStoredPage() throws {
        let world = try E2E.World(replicaCount: 2)
        let writer = world.replicas[0]
        for number in 0..<Self.records { try writer.write(collection: "carePlans", id: "p\(number)", values: E2E.plan("Plan \(number)")) }
        _ = try writer.sync()
        let delivered = try world.server.service.store.read { try $0.changes(since: 0, units: nil, limit: Self.records) }
        let before = Self.pullsAnswered(world)

        // Page 2 is interrupted inside its transaction; page 3 was asked for meanwhile.
        let stored = Mutex<Int64?>(nil)
        let reader = try Self.replica(world, 1) { page, cursor in
            if page == 2 { throw Interrupted() }
            stored.withLock { $0 = cursor }
        }
        #expect(throws: Interrupted.self) { try reader.sync() }
        // Pages 1 and 2, page 3 fetched ahead while page 2 was stored, and perhaps page 4:
        // the fetcher asks for the page after the one waiting, and the request in flight
        // when the sync stops is answered. Never more: one page waits, one is fetched.
        let answered = Self.pullsAnswered(world) - before
        #expect(answered == 3 || answered == 4, "pages 1 and 2, page 3 fetched ahead and at most page 4 in flight: \(answered)")
        #expect(try reader.settings().cursor == stored.withLock { $0 } && stored.withLock { $0 } != nil)
        #expect(Set(try reader.list().map(\.recordID)) == Set(delivered.prefix(Self.size).map(\.recordID)))

        let resumed = try Self.replica(world, 1)
        let report = try resumed.sync()
        #expect(report.pulled == Self.records - Self.size)
        #expect(try resumed.dump() == world.serverDump())
    }

    @Test("Progress is reported for every push batch and pull page, and its counts grow monotonically to the totals")
    func progressIsReportedPerBatchAndPageAndGrowsMonotonically() throws {
        let world = try E2E.World(replicaCount: 2)
        let writer = try Self.replica(world, 0)
        for number in 0..<Self.records { try writer.write(collection: "carePlans", id: "p\(number)", values: E2E.plan("Plan \(number)")) }
        let pushes = Mutex<[SyncProgress]>([])
        _ = try writer.sync { progress in pushes.withLock { $0.append(progress) } }
        let pushed = pushes.withLock { $0 }.filter { $0.phase == .push }
        #expect(pushed.first?.pushed == 0 && pushed.first?.pendingAtStart == Self.records)
        #expect(pushed.map(\.pushed) == pushed.map(\.pushed).sorted(), "pushed went back: \(pushed.map(\.pushed))")
        #expect(pushed.last?.pushed == Self.records)
        // One report at the start, then one per batch of three.
        #expect(pushed.count == 1 + (Self.records + Self.size - 1) / Self.size)

        let reports = Mutex<[SyncProgress]>([])
        let reader = try Self.replica(world, 1)
        let report = try reader.sync { progress in reports.withLock { $0.append(progress) } }
        let all = reports.withLock { $0 }
        let pulls = all.filter { $0.phase == .pull }
        #expect(all.map(\.phase) == all.filter { $0.phase == .push }.map(\.phase) + pulls.map(\.phase), "push reports come first")
        // The start of the pull, then one report per page of three records.
        #expect(pulls.count == 1 + (Self.records + Self.size - 1) / Self.size)
        #expect(pulls.first?.pulled == 0)
        for (earlier, later) in zip(pulls, pulls.dropFirst()) {
            #expect(later.pulled > earlier.pulled)
            #expect(later.cursor > earlier.cursor)
        }
        #expect(pulls.last?.pulled == Self.records && report.pulled == Self.records)
        // The server named its newest sequence: what remains shrinks to nothing.
        let remaining = pulls.dropFirst().compactMap(\.remainingToPull)
        #expect(remaining.count == pulls.count - 1)
        #expect(remaining == remaining.sorted(by: >), "remaining grew: \(remaining)")
        #expect(remaining.first ?? 0 > 0)
        #expect(remaining.last == 0)
    }
}
