/// Plain-text layout for help: paragraphs with soft line breaks, wrapped to a width, with
/// a hanging indent. Widths count characters (grapheme clusters), so `ä` is one column.
enum TextLayout {
    /// The width help is wrapped to: a terminal's 80 columns.
    static let width = 80

    /// The paragraphs of a text written with soft line breaks: blank lines separate them,
    /// single line breaks are spaces.
    static func paragraphs(_ text: String) -> [String] {
        var paragraphs: [String] = []
        var current: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingSpaces
            if trimmed.isEmpty {
                if !current.isEmpty { paragraphs.append(current.joined(separator: " ")) }
                current = []
            } else {
                current.append(trimmed)
            }
        }
        if !current.isEmpty { paragraphs.append(current.joined(separator: " ")) }
        return paragraphs
    }

    /// `units` joined by spaces into lines no wider than `width`; the first line starts
    /// after `lead` (already printed), later ones with `indent` spaces. A unit wider than a
    /// line gets a line of its own.
    static func wrap(_ units: [String], lead: Int = 0, indent: Int = 0, width: Int = width) -> [String] {
        var lines: [String] = []
        var line = ""
        var used = lead
        for unit in units where !unit.isEmpty {
            if line.isEmpty {
                line = unit
                used += unit.count
            } else if used + 1 + unit.count <= width {
                line += " " + unit
                used += 1 + unit.count
            } else {
                lines.append(line)
                line = String(repeating: " ", count: indent) + unit
                used = indent + unit.count
            }
        }
        if !line.isEmpty || lines.isEmpty { lines.append(line) }
        return lines
    }

    /// A paragraph's words wrapped with every line indented by `indent`.
    static func wrapParagraph(_ paragraph: String, indent: Int) -> [String] {
        let pad = String(repeating: " ", count: indent)
        let words = paragraph.split(separator: " ").map(String.init)
        return wrap(words, lead: indent, indent: indent).map { $0.hasPrefix(pad) ? $0 : pad + $0 }
    }

    /// Two columns: each term padded to the widest (at most `maximumTermWidth`), then its
    /// text wrapped beside it; a longer term puts its text on the next line.
    static func columns(_ rows: [(term: String, text: String)], indent: Int = 2, maximumTermWidth: Int = 24) -> [String] {
        let termWidth = min(maximumTermWidth, rows.map(\.term.count).max() ?? 0)
        let textIndent = indent + termWidth + 2
        var lines: [String] = []
        for row in rows {
            let words = row.text.split(separator: " ").map(String.init)
            var wrapped = wrap(words, lead: textIndent, indent: textIndent)
            let head = String(repeating: " ", count: indent) + row.term
            if row.term.count > termWidth {
                lines.append(head)
                wrapped[0] = String(repeating: " ", count: textIndent) + wrapped[0]
            } else {
                wrapped[0] = head + String(repeating: " ", count: textIndent - indent - row.term.count) + wrapped[0]
            }
            lines.append(contentsOf: wrapped.map(\.trimmingTrailingSpaces))
        }
        return lines
    }
}

extension StringProtocol {
    var trimmingSpaces: String {
        var text = Substring(self)
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return String(text)
    }

    var trimmingTrailingSpaces: String {
        var text = Substring(self)
        while text.last == " " { text.removeLast() }
        return String(text)
    }
}
