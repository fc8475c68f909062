import RehabSyncDomain

/// A collection named on the command line, spelt exactly as the schema spells it. A
/// misspelt or wrongly cased name is a usage error that lists the collections, never an
/// empty answer that looks like an empty replica.
public enum CollectionArgument {
    public static func parse(_ name: String) throws(Arguments.UsageError) -> CollectionName {
        if let collection = CollectionName(rawValue: name) { return collection }
        let known = CollectionName.allCases.map(\.rawValue)
        let near = known.first { $0.lowercased() == name.lowercased() }.map { " (did you mean '\($0)'?)" } ?? ""
        throw Arguments.UsageError(description: "unknown collection '\(name)'\(near); the collections are \(known.joined(separator: ", "))")
    }
}
