import Foundation
import RehabSyncDomain
import Testing

struct SwedishCivilTimeTests {
    /// Milliseconds of a UTC reading, for readable expectations.
    static func utc(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int = 0) throws -> Int64 {
        let date = try #require(CivilDate(year: year, month: month, day: day))
        return Int64(date.daysSinceEpoch) * 86_400_000 + Int64(hour * 3_600 + minute * 60) * 1_000
    }

    @Test func summerTimeStartsAndEndsAtOneUTCOnTheLastSundays() throws {
        #expect(SwedishCivilTime.summerTimeStart(year: 2026) == (try Self.utc(2026, 3, 29, 1)))
        #expect(SwedishCivilTime.summerTimeEnd(year: 2026) == (try Self.utc(2026, 10, 25, 1)))
        #expect(SwedishCivilTime.summerTimeStart(year: 2027) == (try Self.utc(2027, 3, 28, 1)))
        #expect(SwedishCivilTime.summerTimeEnd(year: 2027) == (try Self.utc(2027, 10, 31, 1)))
        #expect(SwedishCivilTime.utcOffsetSeconds(atUnixMilliseconds: try Self.utc(2026, 3, 29, 0, 59)) == 3_600)
        #expect(SwedishCivilTime.utcOffsetSeconds(atUnixMilliseconds: try Self.utc(2026, 3, 29, 1)) == 7_200)
        #expect(SwedishCivilTime.utcOffsetSeconds(atUnixMilliseconds: try Self.utc(2026, 10, 25, 0, 59)) == 7_200)
        #expect(SwedishCivilTime.utcOffsetSeconds(atUnixMilliseconds: try Self.utc(2026, 10, 25, 1)) == 3_600)
    }

    @Test func aWinterEveningAfterElevenIsStillToday() throws {
        // 23:30 CET on 19 January is 22:30 UTC; the old fixed UTC+2 called it the 20th.
        let evening = try Self.utc(2027, 1, 19, 22, 30)
        #expect(CivilDate.swedishToday(unixMilliseconds: evening).iso == "2027-01-19")
        #expect(CivilDate.swedishToday(unixMilliseconds: try Self.utc(2027, 1, 19, 23)).iso == "2027-01-20")
        // In summer midnight comes at 22:00 UTC.
        #expect(CivilDate.swedishToday(unixMilliseconds: try Self.utc(2026, 7, 19, 22)).iso == "2026-07-20")
    }

    @Test func wallClockReadingsInTheGapAndTheOverlapHaveOneInstant() throws {
        let march = try #require(CivilDate(year: 2026, month: 3, day: 29))
        // 02:30 does not exist that night; it is read as 03:30 CEST, 01:30 UTC.
        #expect(SwedishCivilTime.instant(date: march, hour: 2, minute: 30) == (try Self.utc(2026, 3, 29, 1, 30)))
        #expect(SwedishCivilTime.instant(date: march, hour: 1, minute: 30) == (try Self.utc(2026, 3, 29, 0, 30)))
        let october = try #require(CivilDate(year: 2026, month: 10, day: 25))
        // 02:30 happens twice; the first, in summer time, is 00:30 UTC.
        #expect(SwedishCivilTime.instant(date: october, hour: 2, minute: 30) == (try Self.utc(2026, 10, 25, 0, 30)))
        #expect(SwedishCivilTime.instant(date: october, hour: 3, minute: 0) == (try Self.utc(2026, 10, 25, 2)))
    }

    @Test func theRuleAgreesWithTheHostTimeZoneDatabaseWhereThereIsOne() throws {
        guard let zone = TimeZone(identifier: "Europe/Stockholm") else { return }
        var checked = 0
        // Every 20 minutes from 2020 to 2030 lands on both sides of each change.
        var instant = try Self.utc(2020, 1, 1, 0)
        let end = try Self.utc(2030, 12, 31, 0)
        while instant < end {
            let expected = zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(instant) / 1_000))
            #expect(SwedishCivilTime.utcOffsetSeconds(atUnixMilliseconds: instant) == expected, "at \(instant)")
            if SwedishCivilTime.utcOffsetSeconds(atUnixMilliseconds: instant) != expected { break }
            instant += 1_200_000
            checked += 1
        }
        #expect(checked > 250_000)
    }
}
