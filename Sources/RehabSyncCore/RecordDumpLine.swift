/// A record as the sync API and dumps carry it: `{"collection","id","sequence"?,"state"}`,
/// keys in canonical order and the state copied in as its canonical bytes. Push bodies,
/// pull pages, single reads and dump lines all write records this one way.
public enum RecordEnvelope {
    public static func write(collection: String, id: String, sequence: Int64? = nil, state: [UInt8],
                             to writer: inout CanonicalWriter) {
        writer.append(#"{"collection":"#)
        writer.appendString(collection)
        writer.append(#","id":"#)
        writer.appendString(id)
        if let sequence {
            writer.append(#","sequence":"#)
            writer.appendInteger(sequence)
        }
        writer.append(#","state":"#)
        state.withUnsafeBufferPointer { writer.append($0) }
        writer.append(UInt8(ascii: "}"))
    }
}

/// One line of a dump: a record envelope without sequence, then a newline. Replicas and
/// the server dump in this one format, sorted by collection and id, so equal states print
/// equal bytes.
public enum RecordDumpLine {
    public static func write(collection: String, id: String, state: [UInt8], to writer: inout CanonicalWriter) {
        RecordEnvelope.write(collection: collection, id: id, state: state, to: &writer)
        writer.append(UInt8(ascii: "\n"))
    }

    /// The same line from UTF-8 bytes as stored (collection and id valid UTF-8, the state
    /// canonical), without building Strings or arrays: a digest writes one per record.
    public static func write(collection: UnsafeBufferPointer<UInt8>, id: UnsafeBufferPointer<UInt8>,
                             state: UnsafeBufferPointer<UInt8>, to writer: inout CanonicalWriter) {
        writer.append(#"{"collection":"#)
        writer.appendString(utf8: collection)
        writer.append(#","id":"#)
        writer.appendString(utf8: id)
        writer.append(#","state":"#)
        writer.append(state)
        writer.append("}\n")
    }
}
