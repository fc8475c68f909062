#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why the storage cannot commit for now: a condition of the machine, not of the request,
/// that clears without a restart (space freed, the file system writable again, the other
/// lock holder gone). The server answers 503 with Retry-After while it lasts.
public enum StorageFault: String, Sendable, Hashable, CaseIterable {
    /// The disk (or the file system's quota) is full.
    case diskFull = "disk_full"
    /// The file system, or the database file, is read-only.
    case readOnly = "read_only"
    /// Another connection or process held the database lock past the busy timeout.
    case locked
    /// Any other failure of the operating system to read, write, sync or open a file.
    case ioError = "io_error"

    /// Seconds a client should wait before trying again: a lock passes quickly, an
    /// operator freeing space or remounting takes longer.
    public var retryAfterSeconds: Int {
        self == .locked ? 1 : 30
    }

    /// A phrase for logs and clients.
    public var explanation: String {
        switch self {
        case .diskFull: "the disk holding the database is full"
        case .readOnly: "the database's file system is read-only"
        case .locked: "the database is locked by another connection"
        case .ioError: "the operating system failed a database read or write"
        }
    }
}

extension DatabaseError {
    /// The storage fault this error comes from, or nil for an error of the statement or
    /// the data (a constraint, bad SQL, misuse), which a retry would not cure.
    public var storageFault: StorageFault? {
        switch resultCode {
        case Code.full: return .diskFull
        case Code.readOnly: return .readOnly
        case Code.busy, Code.locked: return .locked
        case Code.ioError, Code.cannotOpen:
            switch systemErrno {
            case ENOSPC, EDQUOT: return .diskFull
            case EROFS: return .readOnly
            default: return .ioError
            }
        default: return nil
        }
    }
}
