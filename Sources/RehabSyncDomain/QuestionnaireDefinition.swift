import RehabSyncCore

/// A versioned questionnaire (Hälsoskattning has two versions in use): its items and the
/// ordinal scale of each. Loaded from JSON that a region maintains, because the official
/// item list is RCC's, not ours.
///
/// File format:
/// `{"id":"halsoskattning","version":"2","title":"...","scale":{"min":0,"max":10},
///   "items":[{"id":"fatigue","text":"...","required":true,"scale":{"min":0,"max":4}}]}`
/// An item without its own `scale` uses the questionnaire's.
public struct QuestionnaireDefinition: Sendable, Hashable {
    public struct Item: Sendable, Hashable {
        public let id: String
        public let text: String
        public let required: Bool
        public let scale: ClosedRange<Int64>
    }

    public let id: String
    public let version: String
    public let title: String
    public let items: [Item]

    /// The key assessments refer to: questionnaire id and version.
    public var key: String { "\(id)@\(version)" }

    public init(json bytes: [UInt8], name: String) throws(ReferenceDataError) {
        let document = try ReferenceDataError.parse(bytes, name: name)
        guard let members = document.objectValue, let id = members["id"]?.stringValue, !id.isEmpty,
            let version = members["version"]?.stringValue, !version.isEmpty,
            let itemValues = members["items"]?.arrayValue
        else {
            throw ReferenceDataError(source: name, message: "expected an object with string 'id', string 'version' and array 'items'")
        }
        let defaultScale = try Self.scale(members["scale"], name: name, path: "scale")
        var items: [Item] = []
        var seen = Set<String>()
        for (index, value) in itemValues.enumerated() {
            guard let fields = value.objectValue, let itemID = fields["id"]?.stringValue,
                RecordState.isValidFieldName(itemID)
            else {
                throw ReferenceDataError(source: name, message: "items[\(index)] needs an 'id' made of ASCII letters, digits and _")
            }
            guard seen.insert(itemID).inserted else {
                throw ReferenceDataError(source: name, message: "items[\(index)]: id appears twice")
            }
            guard let scale = try Self.scale(fields["scale"], name: name, path: "items[\(index)].scale") ?? defaultScale else {
                throw ReferenceDataError(source: name, message: "items[\(index)] has no scale and the questionnaire has none")
            }
            items.append(Item(id: itemID, text: fields["text"]?.stringValue ?? "",
                              required: fields["required"]?.boolValue ?? true, scale: scale))
        }
        self.id = id
        self.version = version
        title = members["title"]?.stringValue ?? ""
        self.items = items
    }

    private static func scale(_ value: JSONValue?, name: String, path: String) throws(ReferenceDataError) -> ClosedRange<Int64>? {
        guard let value else { return nil }
        guard let members = value.objectValue, let min = members["min"]?.integerValue,
            let max = members["max"]?.integerValue, min <= max
        else {
            throw ReferenceDataError(source: name, message: "\(path) must be {\"min\": integer, \"max\": integer} with min <= max")
        }
        return min...max
    }
}
