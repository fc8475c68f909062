/// Aligned columns with a header row, for a person reading a terminal (`--output table`).
/// Widths count characters (grapheme clusters), so `Åsa` and `Öjebyn` take the columns a
/// terminal gives them; cells are never cut, and a line ends without trailing spaces.
public struct TextTable: Sendable, Hashable {
    /// One column: its header and which side its cells line up on.
    public struct Column: Sendable, Hashable {
        public enum Alignment: Sendable, Hashable { case left, right }

        public let title: String
        public let alignment: Alignment

        public init(_ title: String, alignment: Alignment = .left) {
            self.title = title
            self.alignment = alignment
        }
    }

    /// Spaces between two columns.
    public static let gap = 2

    public let columns: [Column]
    public private(set) var rows: [[String]] = []

    public init(_ columns: [Column]) {
        self.columns = columns
    }

    /// Adds a row; missing cells are empty and extra ones are dropped, so every line has
    /// one cell per column. A line break inside a cell is shown as a space.
    public mutating func append(_ cells: [String]) {
        rows.append(columns.indices.map { index in
            index < cells.count ? cells[index].split(whereSeparator: \.isNewline).joined(separator: " ") : ""
        })
    }

    /// The header and the rows, each line ending in `\n`. An empty table is its header alone.
    public var rendered: String {
        let lines = [columns.map(\.title)] + rows
        let widths = columns.indices.map { index in lines.map { $0[index].count }.max() ?? 0 }
        return lines.map { cells in
            var line = ""
            for (index, cell) in cells.enumerated() {
                let padding = String(repeating: " ", count: widths[index] - cell.count)
                if index > 0 { line += String(repeating: " ", count: Self.gap) }
                line += columns[index].alignment == .right ? padding + cell : cell + padding
            }
            return line.trimmingTrailingSpaces + "\n"
        }.joined()
    }
}
