#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One sync at a time per replica file: an exclusive `flock` on a file beside it, held for
/// the whole sync. Two syncs at once could both take a new replica id, or set the same
/// refused write aside twice. A second sync waits for the first; the kernel drops the
/// lock when its holder ends, however it ends.
final class ReplicaSyncLock {
    private let descriptor: Int32

    /// Waits for the lock on `databasePath`'s sync lock file.
    init(databasePath: String) throws {
        let path = databasePath + "-sync.lock"
        let opened = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard opened >= 0 else {
            throw ReplicaError.notInitialised("cannot open the sync lock \(path): \(String(cString: strerror(errno)))")
        }
        var result: Int32
        repeat { result = flock(opened, LOCK_EX) } while result != 0 && errno == EINTR
        guard result == 0 else {
            let number = errno
            close(opened)
            throw ReplicaError.notInitialised("cannot lock \(path): \(String(cString: strerror(number)))")
        }
        descriptor = opened
    }

    deinit { close(descriptor) }
}
