/// The command line after the subcommand words: `--name value` options (repeatable),
/// `--flag` switches and nothing else. Parsing is strict so that a typo in an operator's
/// script fails loudly instead of being ignored.
public struct Arguments {
    /// A usage error: exit code 2, message on stderr.
    public struct UsageError: Error, CustomStringConvertible {
        public let description: String

        public init(description: String) {
            self.description = description
        }
    }

    private var options: [String: [String]] = [:]
    private var flags: Set<String> = []

    /// Parses `words`, where `valued` names the options that take a value and `switches`
    /// the ones that do not.
    public init(_ words: [String], valued: Set<String>, switches: Set<String>) throws {
        var index = 0
        while index < words.count {
            let word = words[index]
            guard word.hasPrefix("--") else { throw UsageError(description: "unexpected argument '\(word)'") }
            let name = String(word.dropFirst(2))
            if switches.contains(name) {
                flags.insert(name)
                index += 1
            } else if valued.contains(name) {
                guard index + 1 < words.count else { throw UsageError(description: "option --\(name) needs a value") }
                options[name, default: []].append(words[index + 1])
                index += 2
            } else {
                throw UsageError(description: "unknown option --\(name)")
            }
        }
    }

    /// The last value given for `name`, if any.
    public func value(_ name: String) -> String? { options[name]?.last }

    /// Every value given for a repeatable option.
    public func values(_ name: String) -> [String] { options[name] ?? [] }

    /// Whether the switch was given.
    public func has(_ name: String) -> Bool { flags.contains(name) }

    /// A whole number option, with its default.
    public func integer(_ name: String, default fallback: Int) throws -> Int {
        guard let text = value(name) else { return fallback }
        guard let number = Int(text), number > 0 else {
            throw UsageError(description: "--\(name) takes a positive whole number")
        }
        return number
    }
}
