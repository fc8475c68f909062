import RehabSyncCommandLine
import RehabSyncCore

/// What a command prints on standard output: its JSON, or for `--output table` the tables a
/// person reads (each with a title when there are several).
enum CommandOutput {
    static func print(_ value: JSONValue, as format: OutputFormat, tables: () throws -> [(title: String?, table: TextTable)]) rethrows {
        switch format {
        case .json:
            Swift.print(value.canonicalText)
        case .table:
            let sections = try tables().map { section in
                (section.title.map { "\($0):\n" } ?? "") + section.table.rendered
            }
            Swift.print(sections.joined(separator: "\n"), terminator: "")
        }
    }
}
