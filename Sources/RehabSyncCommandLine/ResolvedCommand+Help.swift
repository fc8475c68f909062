extension ResolvedCommand {
    /// What `--help` prints for this command: the usage line, what it does, its options and
    /// environment; for a group, its commands with their summaries as well.
    public var help: String {
        if path.count == 1 { return programUsage }
        var lines = usageLines + [""]
        lines += TextLayout.wrapParagraph(spec.summary, indent: 0)
        for paragraph in TextLayout.paragraphs(spec.discussion) {
            lines += [""] + TextLayout.wrapParagraph(paragraph, indent: 0)
        }
        if spec.isGroup {
            lines += ["", "Commands:"]
            for leaf in leaves {
                let name = leaf.path.dropFirst(path.count).joined(separator: " ")
                let units = leaf.inheritedOptions.dropFirst(inheritedOptions.count).filter(\.isRequired).map(\.synopsis)
                    + leaf.spec.arguments.map(\.synopsis) + leaf.spec.options.map(\.synopsis)
                lines += TextLayout.wrap(["  " + name] + units, indent: 8).map(\.trimmingTrailingSpaces)
                lines += TextLayout.wrapParagraph(leaf.spec.summary, indent: 6)
            }
            if !spec.options.isEmpty {
                lines += ["", "Options for every command:"] + optionLines(spec.options)
            }
            lines += ["", "Run 'rehabsync help \(path.dropFirst().joined(separator: " ")) <command>' for a command's own options."]
        } else {
            if !spec.arguments.isEmpty {
                lines += ["", "Arguments:"] + TextLayout.columns(spec.arguments.map { ($0.placeholder, $0.help) })
            }
            lines += ["", "Options:"] + optionLines(orderedOptions + [.flag("help", "print this help")])
        }
        if !allEnvironment.isEmpty {
            lines += ["", "Environment:"] + TextLayout.columns(allEnvironment.map { ($0.name, $0.help) })
        }
        return lines.joined(separator: "\n")
    }

    /// What a usage error adds after its message: the usage line and where the help is.
    public var shortUsage: String {
        (usageLines + ["Run '\(path[0]) help \(path.dropFirst().joined(separator: " "))' for more."]).joined(separator: "\n")
    }

    /// `Usage: rehabsync …`, wrapped with a hanging indent.
    var usageLines: [String] {
        TextLayout.wrap(["Usage:", commandLine] + synopsisUnits, indent: 8).map(\.trimmingTrailingSpaces)
    }

    /// The program's own usage: every top-level command with its summary.
    var programUsage: String {
        var lines = ["\(spec.name): \(spec.summary)", "", "Usage:", "  \(spec.name) <command> [options]", "", "Commands:"]
        lines += TextLayout.columns(spec.subcommands.map { ($0.name, $0.summary) }, maximumTermWidth: 11)
        for paragraph in TextLayout.paragraphs(spec.discussion) {
            lines += [""] + TextLayout.wrapParagraph(paragraph, indent: 0)
        }
        return lines.joined(separator: "\n")
    }

    private func optionLines(_ options: [CommandOption]) -> [String] {
        TextLayout.columns(options.map { ($0.usage, $0.annotatedHelp) })
    }
}
