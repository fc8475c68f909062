extension VersionVector {
    /// Writes the canonical encoding: an object of replica ids and counters in id order.
    public func write(to writer: inout CanonicalWriter) {
        writer.append(UInt8(ascii: "{"))
        for (offset, entry) in entries.enumerated() {
            if offset > 0 { writer.append(UInt8(ascii: ",")) }
            writer.append(UInt8(ascii: "\""))
            writer.appendReplicaID(entry.replica)
            writer.append(#"":"#)
            writer.appendInteger(entry.counter)
        }
        writer.append(UInt8(ascii: "}"))
    }
}
