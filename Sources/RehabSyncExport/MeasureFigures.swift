/// One measure's figures for one care unit and month, in the shape of a FHIR
/// `MeasureReport`: groups of populations, stratifiers and a score. The same value holds the
/// raw counts and, after ``CellSuppression``, the counts fit to leave the server.
public struct MeasureFigures: Hashable, Sendable {
    /// A count, or the mark that it was suppressed.
    public enum Cell: Hashable, Sendable {
        case count(Int)
        case masked

        public var count: Int? {
            if case .count(let value) = self { return value }
            return nil
        }
    }

    public struct Population: Hashable, Sendable {
        /// A code of http://terminology.hl7.org/CodeSystem/measure-population.
        public var code: String
        public var cell: Cell

        public init(code: String, cell: Cell) {
            self.code = code
            self.cell = cell
        }
    }

    public struct Stratum: Hashable, Sendable {
        public var value: String
        public var cell: Cell

        public init(value: String, cell: Cell) {
            self.value = value
            self.cell = cell
        }
    }

    /// A breakdown of the group's first population; its strata add up to it.
    public struct Stratifier: Hashable, Sendable {
        public var code: String
        /// The code system of the strata's values.
        public var system: String
        public var strata: [Stratum]

        public init(code: String, system: String, strata: [Stratum]) {
            self.code = code
            self.system = system
            self.strata = strata
        }
    }

    /// A number of days summarising the group's first population (a median, a percentile).
    public struct Score: Hashable, Sendable {
        public var days: Double?
        public var masked: Bool

        public init(days: Double?, masked: Bool) {
            self.days = days
            self.masked = masked
        }
    }

    public struct Group: Hashable, Sendable {
        public var code: String
        public var populations: [Population]
        public var stratifiers: [Stratifier]
        public var score: Score?

        public init(code: String, populations: [Population], stratifiers: [Stratifier] = [], score: Score? = nil) {
            self.code = code
            self.populations = populations
            self.stratifiers = stratifiers
            self.score = score
        }
    }

    public let measure: ExportMeasure
    public var groups: [Group]

    public init(measure: ExportMeasure, groups: [Group]) {
        self.measure = measure
        self.groups = groups
    }

    /// Whether every count is zero and no score exists: a unit with nothing to report.
    public var isEmpty: Bool {
        groups.allSatisfy { group in
            group.populations.allSatisfy { $0.cell == .count(0) } && (group.score?.days == nil)
        }
    }
}
