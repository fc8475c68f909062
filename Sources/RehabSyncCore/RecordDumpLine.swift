/// One line of a dump: `{"collection":"…","id":"…","state":{…}}` and a newline, keys in
/// canonical order and the state in its canonical encoding. Replicas and the server dump
/// in this one format, sorted by collection and id, so equal states print equal bytes.
public enum RecordDumpLine {
    public static func write(collection: String, id: String, state: [UInt8], to writer: inout CanonicalWriter) {
        writer.append(#"{"collection":"#)
        writer.appendString(collection)
        writer.append(#","id":"#)
        writer.appendString(id)
        writer.append(#","state":"#)
        state.withUnsafeBufferPointer { writer.append($0) }
        writer.append("}\n")
    }
}
