/// The command line after the subcommand words: `--name value` or `--name=value` options,
/// `--flag` switches, and the positional words a command declares. Parsing is strict so
/// that a typo in an operator's script fails loudly instead of being ignored: an unknown
/// option, a missing value, a word too many and a single-valued option given twice are all
/// usage errors.
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
    /// The words that are not options, in order (`schema carePlans`).
    public private(set) var positionals: [String] = []

    /// Parses `words`, where `valued` names the options that take a value, `switches` the
    /// ones that do not, and `repeatable` the valued ones that may be given more than once.
    /// Up to `positionalLimit` words that do not begin with `-` are positional; any more, or
    /// any other word, is a usage error.
    public init(_ words: [String], valued: Set<String>, switches: Set<String>, repeatable: Set<String> = [],
                positionalLimit: Int = 0) throws {
        var index = 0
        while index < words.count {
            let word = words[index]
            if !word.hasPrefix("-"), positionals.count < positionalLimit {
                positionals.append(word)
                index += 1
                continue
            }
            guard word.hasPrefix("--"), word.count > 2 else { throw UsageError(description: "unexpected argument '\(word)'") }
            let body = word.dropFirst(2)
            let name: String
            var inline: String?
            if let equals = body.firstIndex(of: "=") {
                name = String(body[..<equals])
                inline = String(body[body.index(after: equals)...])
            } else {
                name = String(body)
            }
            if switches.contains(name) {
                guard inline == nil else { throw UsageError(description: "--\(name) is a switch and takes no value") }
                guard !flags.contains(name) else { throw UsageError(description: "--\(name) is given more than once") }
                flags.insert(name)
                index += 1
            } else if valued.contains(name) {
                let value: String
                if let inline {
                    value = inline
                    index += 1
                } else {
                    guard index + 1 < words.count else { throw UsageError(description: "option --\(name) needs a value") }
                    value = words[index + 1]
                    index += 2
                }
                guard repeatable.contains(name) || options[name] == nil else {
                    throw UsageError(description: "--\(name) is given more than once; it takes one value")
                }
                options[name, default: []].append(value)
            } else {
                throw UsageError(description: "unknown option --\(name)")
            }
        }
    }

    /// Parses `words` for a command that accepts `options` (and `--help`) and up to
    /// `positionalLimit` positional words.
    public init(_ words: [String], options: [CommandOption], positionalLimit: Int = 0) throws {
        try self.init(words, valued: Set(options.filter { $0.placeholder != nil }.map(\.name)),
                      switches: Set(options.filter { $0.placeholder == nil }.map(\.name)).union(["help"]),
                      repeatable: Set(options.filter(\.repeats).map(\.name)), positionalLimit: positionalLimit)
    }

    /// The positional word at `index`, if given.
    public func positional(_ index: Int) -> String? {
        positionals.indices.contains(index) ? positionals[index] : nil
    }

    /// The value given for `name`, if any (a single-valued option has at most one).
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
