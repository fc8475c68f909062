extension RecordState {
    /// Whether joining this state into a stored one, given as its canonical bytes, gives
    /// exactly this state, told without decoding the stored state: true when the stored
    /// context is covered by this one (it has seen everything the stored state has) and
    /// every sibling of this state whose write the stored state has seen is held by the
    /// stored state too, byte for byte, in the same field.
    ///
    /// Then the join keeps every sibling of this state (each was either unseen there or
    /// held there) and no other: every stored sibling's write is in this context, so one
    /// survives only if this state holds it. A state that had seen a write replaced and
    /// still carries it (which honest replicas never send) fails the second test, and the
    /// full join drops that sibling as it must. False also when the stored bytes are not
    /// canonical; the caller then decodes and joins.
    public func isJoinResult(intoStored bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { buffer in
            var check = CanonicalStateCheck(buffer, at: 0, keeping: .none)
            check.collectsSiblings = true
            // The contexts first: concurrent states, the usual reason to decline, are told
            // from the context alone.
            guard check.contextPart() else { return false }
            switch check.context.compare(to: context) {
            case .before, .equal: break
            case .after, .concurrent: return false
            }
            guard check.fieldsPart(), check.index == buffer.count, let base = buffer.baseAddress else { return false }
            var scratch = CanonicalWriter(capacity: 512)
            for field in fields {
                var name = field.name
                for sibling in field.siblings where check.context.contains(sibling.dot) {
                    let held = name.withUTF8 { nameBytes in
                        check.metSiblings.first { entry in
                            entry.dot == sibling.dot && entry.name.count == nameBytes.count
                                && CanonicalStateCheck.equal(buffer, at: entry.name.lowerBound, UnsafeRawPointer(nameBytes.baseAddress ?? base),
                                                             nameBytes.count)
                        }
                    }
                    guard let held else { return false }
                    scratch.removeAll()
                    sibling.write(to: &scratch)
                    let same = scratch.withBytes { written in
                        written.count == held.bytes.count
                            && CanonicalStateCheck.equal(buffer, at: held.bytes.lowerBound, UnsafeRawPointer(written.baseAddress ?? base),
                                                         written.count)
                    }
                    guard same else { return false }
                }
            }
            return true
        }
    }
}
