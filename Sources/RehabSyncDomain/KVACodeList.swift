import RehabSyncCore

/// A versioned list of KVÅ codes (Socialstyrelsen updates KVÅ every year, so the list is
/// data a region loads, not code). A code's title stays empty where no confirmed source
/// gives it.
///
/// File format:
/// `{"version":"2026","source":"...","codes":[{"code":"AW020","title":"...","level":"särskilda"}]}`
public struct KVACodeList: Sendable, Hashable {
    public struct Entry: Sendable, Hashable {
        public let code: KVACode
        public let title: String
        /// The needs level the code belongs to (seed 004), or nil where none is stated.
        public let level: String?
    }

    public let version: String
    public let source: String
    public let entries: [Entry]

    /// Whether the list contains `code`.
    public func contains(_ code: String) -> Bool {
        entries.contains { $0.code.value == code }
    }

    /// Parses a list file; `name` appears in errors.
    public init(json bytes: [UInt8], name: String) throws(ReferenceDataError) {
        let document = try ReferenceDataError.parse(bytes, name: name)
        guard let members = document.objectValue, let version = members["version"]?.stringValue, !version.isEmpty,
            let codes = members["codes"]?.arrayValue
        else {
            throw ReferenceDataError(source: name, message: "expected an object with a non-empty string 'version' and an array 'codes'")
        }
        var entries: [Entry] = []
        var seen = Set<String>()
        for (index, item) in codes.enumerated() {
            guard let fields = item.objectValue, let text = fields["code"]?.stringValue else {
                throw ReferenceDataError(source: name, message: "codes[\(index)] needs a string 'code'")
            }
            let code: KVACode
            do {
                code = try KVACode(text)
            } catch {
                throw ReferenceDataError(source: name, message: "codes[\(index)]: \(error.message)")
            }
            guard seen.insert(code.value).inserted else {
                throw ReferenceDataError(source: name, message: "codes[\(index)]: \(code.value) appears twice")
            }
            let level = fields["level"]?.stringValue
            if let level, !CollectionSchema.Vocabulary.needLevels.contains(level) {
                throw ReferenceDataError(source: name, message: "codes[\(index)]: unknown level")
            }
            entries.append(Entry(code: code, title: fields["title"]?.stringValue ?? "", level: level))
        }
        self.version = version
        self.source = members["source"]?.stringValue ?? ""
        self.entries = entries
    }
}
