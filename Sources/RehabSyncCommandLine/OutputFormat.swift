/// `--output json|table`: JSON for scripts (the default, unchanged), or aligned columns for
/// a person. Declared once here, so every command that offers it spells it the same way.
public enum OutputFormat: String, Sendable, CaseIterable {
    case json
    case table

    /// The option as the command table declares it; any other value is a usage error.
    public static let option = CommandOption.value(
        "output", "FORMAT", "json for scripts (the default), or table: aligned columns for a person, times in Swedish time",
        choices: allCases.map(\.rawValue))

    /// The format `--output` asked for, JSON when it was not given.
    public init(_ arguments: Arguments) {
        self = arguments.value(Self.option.name).flatMap(OutputFormat.init(rawValue:)) ?? .json
    }
}
