import RehabSyncCore

/// One export job as declared in a file under `Jobs/`: what it reports, when it runs, for
/// which period, to which target, and how small a count must be to be suppressed.
public struct ExportJob: Hashable, Sendable {
    /// When the job runs: a day of the month and a Swedish wall-clock time.
    public struct Schedule: Hashable, Sendable {
        public var dayOfMonth: Int
        public var hour: Int
        public var minute: Int

        public init(dayOfMonth: Int = 20, hour: Int = 2, minute: Int = 0) {
            self.dayOfMonth = dayOfMonth
            self.hour = hour
            self.minute = minute
        }
    }

    /// Which month a run reports. Only one rule exists today; it is named in the file so that
    /// another can be added without guessing what old files meant.
    public enum PeriodRule: String, Hashable, Sendable, CaseIterable {
        case previousCalendarMonth
    }

    public var name: String
    public var enabled: Bool
    public var measures: [ExportMeasure]
    public var schedule: Schedule
    public var period: PeriodRule
    /// A target named in `Config/register.json`.
    public var target: String
    /// Counts from 1 up to one less than this are suppressed.
    public var suppressionThreshold: Int
    /// How many months before a run's period are checked for late data and corrected.
    public var correctionMonths: Int

    public init(name: String, enabled: Bool = true, measures: [ExportMeasure] = ExportMeasure.allCases,
                schedule: Schedule = Schedule(), period: PeriodRule = .previousCalendarMonth, target: String = "national-register",
                suppressionThreshold: Int = 5, correctionMonths: Int = 12) {
        self.name = name
        self.enabled = enabled
        self.measures = measures
        self.schedule = schedule
        self.period = period
        self.target = target
        self.suppressionThreshold = suppressionThreshold
        self.correctionMonths = correctionMonths
    }

    static let knownMembers: Set<String> = [
        "name", "enabled", "measures", "schedule", "period", "target", "suppressionThreshold", "correctionMonths", "description",
    ]

    /// Parses and validates a job file. Every error names the file and the field.
    public init(json bytes: [UInt8], file: String) throws(ExportError) {
        let document: JSONValue
        do { document = try JSONParser.parse(bytes) } catch {
            throw ExportError.invalid(error.field ?? "(document)", "not valid JSON: \(error.message)", file: file)
        }
        guard let members = document.objectValue else { throw ExportError.invalid("(document)", "a job is a JSON object", file: file) }
        if let unknown = members.keys.sorted().first(where: { !Self.knownMembers.contains($0) }) {
            throw ExportError.invalid(unknown, "unknown member; a job has \(Self.knownMembers.sorted().joined(separator: ", "))", file: file)
        }
        func string(_ key: String) throws(ExportError) -> String? {
            guard let value = members[key] else { return nil }
            guard let text = value.stringValue, !text.isEmpty else { throw ExportError.invalid(key, "must be a non-empty string", file: file) }
            return text
        }
        func integer(_ key: String, _ range: ClosedRange<Int>, in object: [String: JSONValue] = members, path: String? = nil) throws(ExportError) -> Int? {
            guard let value = object[key] else { return nil }
            guard let number = value.integerValue, range.contains(Int(number)) else {
                throw ExportError.invalid(path ?? key, "must be a whole number from \(range.lowerBound) to \(range.upperBound)", file: file)
            }
            return Int(number)
        }
        guard let name = try string("name") else { throw ExportError.invalid("name", "is required", file: file) }
        guard name.utf8.allSatisfy({ (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "-") }),
              name.utf8.count <= 64
        else { throw ExportError.invalid("name", "must be 1 to 64 lowercase letters, digits and hyphens", file: file) }
        self.init(name: name)
        if let value = members["enabled"] {
            guard let flag = value.boolValue else { throw ExportError.invalid("enabled", "must be true or false", file: file) }
            enabled = flag
        }
        if let value = members["measures"] {
            guard let list = value.arrayValue, !list.isEmpty else { throw ExportError.invalid("measures", "must be a non-empty array of measure ids", file: file) }
            var measures: [ExportMeasure] = []
            for (index, item) in list.enumerated() {
                guard let id = item.stringValue, let measure = ExportMeasure(rawValue: id) else {
                    throw ExportError.invalid("measures[\(index)]", "unknown measure; known: \(ExportMeasure.allCases.map(\.rawValue).joined(separator: ", "))", file: file)
                }
                guard !measures.contains(measure) else { throw ExportError.invalid("measures[\(index)]", "listed twice", file: file) }
                measures.append(measure)
            }
            self.measures = measures
        }
        if let value = members["schedule"] {
            guard let object = value.objectValue else { throw ExportError.invalid("schedule", "must be an object {dayOfMonth, time}", file: file) }
            if let unknown = object.keys.sorted().first(where: { !["dayOfMonth", "time", "timeZone"].contains($0) }) {
                throw ExportError.invalid("schedule.\(unknown)", "unknown member; a schedule has dayOfMonth, time and timeZone", file: file)
            }
            // Day 29 to 31 would skip short months; the register's deadline is early in the month anyway.
            if let day = try integer("dayOfMonth", 1...28, in: object, path: "schedule.dayOfMonth") { schedule.dayOfMonth = day }
            if let time = object["time"] {
                guard let text = time.stringValue, let (hour, minute) = Self.clockTime(text) else {
                    throw ExportError.invalid("schedule.time", "must be HH:MM, 00:00 to 23:59, Swedish time", file: file)
                }
                schedule.hour = hour
                schedule.minute = minute
            }
            if let zone = object["timeZone"], zone.stringValue != "Europe/Stockholm" {
                throw ExportError.invalid("schedule.timeZone", "only Europe/Stockholm is supported", file: file)
            }
        }
        if let text = try string("period") {
            guard let rule = PeriodRule(rawValue: text) else {
                throw ExportError.invalid("period", "must be one of \(PeriodRule.allCases.map(\.rawValue).joined(separator: ", "))", file: file)
            }
            period = rule
        }
        if let text = try string("target") { target = text }
        if let threshold = try integer("suppressionThreshold", 2...100) { suppressionThreshold = threshold }
        if let months = try integer("correctionMonths", 0...120) { correctionMonths = months }
        if members["description"] != nil, members["description"]?.stringValue == nil {
            throw ExportError.invalid("description", "must be a string", file: file)
        }
    }

    /// `HH:MM` with two digits each.
    static func clockTime(_ text: String) -> (Int, Int)? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              let hour = Int(parts[0]), let minute = Int(parts[1]), (0...23).contains(hour), (0...59).contains(minute)
        else { return nil }
        return (hour, minute)
    }
}
