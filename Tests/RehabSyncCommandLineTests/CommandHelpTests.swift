import RehabSyncCommandLine
import Testing

/// A group's help and its subcommands' own helps come from one description.
struct CommandHelpTests {
    static let help = CommandHelp(group: "replica", synopsis: "<command> --db FILE", subcommands: [
        .init("write", "--db FILE --json J", "Set the fields given."),
        .init("audit head", "", "Print the head."),
    ], footer: "Options:\n  --db FILE  the replica")

    @Test func aSubcommandsHelpShowsItsOwnSynopsisAndSummaryAndNotTheOthers() throws {
        let write = try #require(Self.help.help("write"))
        #expect(write.hasPrefix("Usage: rehabsync replica write --db FILE --json J\n"))
        #expect(write.contains("Set the fields given."))
        #expect(write.contains("--db FILE  the replica"))
        #expect(!write.contains("Print the head."))
        #expect(try #require(Self.help.help("audit head")).hasPrefix("Usage: rehabsync replica audit head\n"))
        #expect(Self.help.help("bogus") == nil)
    }

    @Test func theGroupsUsageListsEverySubcommandWithItsSummary() {
        let usage = Self.help.usage
        #expect(usage.hasPrefix("Usage: rehabsync replica <command> --db FILE\n"))
        for text in ["  write --db FILE --json J", "      Set the fields given.", "  audit head\n", "      Print the head."] {
            #expect(usage.contains(text), "\(text)")
        }
    }
}
