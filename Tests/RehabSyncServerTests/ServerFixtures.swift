import Foundation
import RehabSyncCore
import RehabSyncDomain
import RehabSyncServer
import RehabSyncStorage

enum ServerFixtures {
    static let unitA = "SE2321000016-A001"
    static let unitB = "SE2321000016-B002"
    static let unitC = "SE2321000016-C003"
    static let nurse = "SE2321000016-N003"
    static let patient = "191212121212"

    static func reference() throws -> ReferenceData {
        let kva = try KVACodeList(json: Array(#"{"version":"t","codes":[{"code":"AW020"}]}"#.utf8), name: "t")
        return ReferenceData(kvaList: kva, questionnaires: [], today: CivilDate(year: 2026, month: 11, day: 23)!)
    }

    /// Wall time in the tests' world: 2026-11-23, near the reference data's "today".
    static let wall: Int64 = 1_795_430_000_000

    /// A service on a fresh file. Its clock stands at `wall` unless `now` says otherwise:
    /// states built with ``state(_:replica:counter:base:author:)`` are stamped just before
    /// `wall`, so the clock-drift check passes unless a test moves the clock back.
    static func service(_ scratch: ServerScratch, now: @escaping @Sendable () -> Int64 = { wall }) throws -> SyncService {
        try SyncService(databasePath: scratch.path("server.sqlite"), reference: reference(), now: now)
    }

    /// A replica's state of a record after one write.
    static func state(_ values: [String: JSONValue], replica: ReplicaID, counter: Int64 = 1,
                      base: RecordState = RecordState(), author: String = nurse) throws -> RecordState {
        try base.applying(values, stamp: stamp(replica, counter, author: author, wall: wall - 1_000))
    }

    static func plan(units: [String] = [unitA], title: String = "Plan") -> [String: JSONValue] {
        ["patient": .string(patient), "careUnits": .array(units.map(JSONValue.string)), "title": .string(title),
         "status": .string("active")]
    }

    /// A new active handover of the fixture patient's plan `plan` from one unit to another.
    static func handover(from sending: String, to receiving: String, plan: String) -> [String: JSONValue] {
        ["patient": .string(patient), "sendingUnit": .string(sending), "receivingUnit": .string(receiving),
         "carePlan": .string(plan), "summary": .string("x"), "status": .string("initiated")]
    }

    /// A push body for records given as (collection, id, state).
    static func body(_ records: [(String, String, RecordState)]) -> [UInt8] {
        let items = records.map { "{\"collection\":\"\($0.0)\",\"id\":\"\($0.1)\",\"state\":\($0.2.canonicalText)}" }
        return Array("{\"records\":[\(items.joined(separator: ","))]}".utf8)
    }
}
