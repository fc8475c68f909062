/// A hybrid logical clock (Kulkarni et al., 2014). Its readings follow the wall clock
/// when it moves forward and keep increasing when it stands still or jumps back, so a
/// device whose clock is reset never issues a time earlier than one it issued before.
///
/// Pure: the wall time is passed in, which keeps the clock testable and I/O-free.
public struct HybridLogicalClock: Sendable, Hashable {
    /// The last reading issued or observed.
    public private(set) var last: HLCTimestamp

    public init(last: HLCTimestamp = .zero) {
        self.last = last
    }

    /// A reading for a local event at wall time `wallMilliseconds`.
    public mutating func tick(wallMilliseconds: Int64) -> HLCTimestamp {
        if wallMilliseconds > last.milliseconds {
            last = HLCTimestamp(milliseconds: wallMilliseconds, logical: 0)
        } else {
            last = Self.successor(of: last)
        }
        return last
    }

    /// Takes in a reading seen from another replica, so that later local readings are
    /// after it; returns the reading for the receive event.
    public mutating func observe(_ remote: HLCTimestamp, wallMilliseconds: Int64) -> HLCTimestamp {
        let newest = max(last, remote)
        if wallMilliseconds > newest.milliseconds {
            last = HLCTimestamp(milliseconds: wallMilliseconds, logical: 0)
        } else {
            last = Self.successor(of: newest)
        }
        return last
    }

    /// Whether a reading from elsewhere is believable: not more than `maximumDrift`
    /// milliseconds ahead of our wall clock. A far-future clock would otherwise drag
    /// every replica's clock along with it.
    public static func isPlausible(
        _ reading: HLCTimestamp, wallMilliseconds: Int64, maximumDriftMilliseconds: Int64
    ) -> Bool {
        reading.milliseconds <= wallMilliseconds &+ maximumDriftMilliseconds
    }

    private static func successor(of reading: HLCTimestamp) -> HLCTimestamp {
        // A logical counter at the limit moves the clock one millisecond ahead instead
        // of overflowing; monotonicity matters more than staying on the wall clock.
        if reading.logical >= Dot.maximumCounter {
            return HLCTimestamp(milliseconds: reading.milliseconds + 1, logical: 0)
        }
        return HLCTimestamp(milliseconds: reading.milliseconds, logical: reading.logical + 1)
    }
}
