/// One option of a command, as the command table declares it: parsing, help, the usage
/// line and the README's reference all read this one description.
public struct CommandOption: Sendable {
    /// The name after `--`.
    public let name: String
    /// What the value stands for in help (`FILE`, `HSA-ID`); nil for a switch.
    public let placeholder: String?
    /// What the option does, one sentence or a few, without the required/repeats notes
    /// (those are added from the flags below).
    public let help: String
    /// Whether the command refuses to run without it (a usage error, exit 2).
    public let isRequired: Bool
    /// Whether it may be given more than once; every other option is a usage error when repeated.
    public let repeats: Bool
    /// The only values it takes, when it takes a fixed set; anything else is a usage error.
    public let choices: [String]
    /// The usage error when a required option is missing, when the generic one would not
    /// say why it is needed.
    public let missingMessage: String?

    /// An option that takes a value, written `--name VALUE` or `--name=VALUE`.
    public static func value(_ name: String, _ placeholder: String, _ help: String, required: Bool = false,
                             repeats: Bool = false, choices: [String] = [], missing: String? = nil) -> CommandOption {
        CommandOption(name: name, placeholder: placeholder, help: help, isRequired: required, repeats: repeats,
                      choices: choices, missingMessage: missing)
    }

    /// A switch, written `--name` alone.
    public static func flag(_ name: String, _ help: String) -> CommandOption {
        CommandOption(name: name, placeholder: nil, help: help, isRequired: false, repeats: false, choices: [], missingMessage: nil)
    }

    /// `--name PLACEHOLDER`, or `--name` for a switch.
    public var usage: String { placeholder.map { "--\(name) \($0)" } ?? "--\(name)" }

    /// How the option appears in a usage line: bracketed when optional, with `...` when it repeats.
    public var synopsis: String {
        switch (isRequired, repeats) {
        case (true, false): usage
        case (true, true): "\(usage) [\(usage) ...]"
        case (false, false): "[\(usage)]"
        case (false, true): "[\(usage) ...]"
        }
    }

    /// The help with the notes the flags imply: the allowed values, required, repeats.
    public var annotatedHelp: String {
        var notes: [String] = []
        if !choices.isEmpty { notes.append("one of " + choices.joined(separator: ", ")) }
        if isRequired { notes.append("required") }
        if repeats { notes.append("may be repeated") }
        return notes.isEmpty ? help : "\(help) (\(notes.joined(separator: "; ")))"
    }
}
