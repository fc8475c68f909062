import RehabSyncStorage

/// The record keys met so far in one push batch, to refuse a record that appears twice.
///
/// A `Set<RecordKey>` hashes both strings of every key with the standard library's seeded
/// hash, about 2,000 instructions a record; here a key is found by a 64-bit FNV-1a digest
/// of its bytes, and only keys whose digests meet are compared or hashed in full. Not a
/// defence against chosen collisions: those only cost the colliding keys the slower way.
struct RecordKeySet {
    /// Each digest with the first key that had it.
    private var firsts: [UInt64: RecordKey] = [:]
    /// Keys whose digest an earlier, different key already had.
    private var collided = Set<RecordKey>()

    /// A set with room for `capacity` keys before it grows.
    init(capacity: Int) {
        firsts.reserveCapacity(capacity)
    }

    /// Adds `key`; false when it was already there.
    mutating func insert(_ key: RecordKey) -> Bool {
        let digest = Self.digest(of: key)
        guard let first = firsts[digest] else {
            firsts[digest] = key
            return true
        }
        if first == key { return false }
        return collided.insert(key).inserted
    }

    /// FNV-1a over the collection's UTF-8, a 0xFF byte (never part of UTF-8, so that no two
    /// keys read alike), and the record id's UTF-8.
    private static func digest(of key: RecordKey) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        mix(key.collection, into: &hash)
        hash = (hash ^ 0xFF) &* prime
        mix(key.recordID, into: &hash)
        return hash
    }

    private static let prime: UInt64 = 0x0000_0100_0000_01B3

    /// Through the bytes in place: iterating a string's UTF-8 view costs several times more.
    private static func mix(_ text: String, into hash: inout UInt64) {
        var text = text
        text.withUTF8 { bytes in
            var mixed = hash
            for byte in bytes { mixed = (mixed ^ UInt64(byte)) &* prime }
            hash = mixed
        }
    }
}
