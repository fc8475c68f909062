import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One server per data directory: an exclusive `flock` on `rehabsync.lock` in the
/// directory, held for as long as the server runs. Two servers writing one database would
/// each hand out the same sequence numbers to different changes.
///
/// The kernel drops the lock when the process ends, however it ends (kill -9 included),
/// so a stale lock file never blocks a restart. The file holds the holder's PID, only so
/// that a second server can name it.
public final class DataDirectoryLock: Sendable {
    /// The lock file.
    public let path: String
    /// The open descriptor holding the lock; -1 once released.
    private let descriptor: Mutex<Int32>

    /// The lock file's name inside the data directory.
    public static let fileName = "rehabsync.lock"

    /// Takes the lock or fails at once (it never waits).
    ///
    /// - Throws: ``SettingsError`` naming the directory and the PID of the server holding
    ///   it, or why the lock file cannot be opened.
    public init(directory: String) throws(SettingsError) {
        path = directory.hasSuffix("/") ? directory + Self.fileName : directory + "/" + Self.fileName
        let opened = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard opened >= 0 else {
            throw SettingsError("cannot open the lock file \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(opened, LOCK_EX | LOCK_NB) == 0 else {
            let number = errno
            let holder = Self.recordedPID(opened)
            close(opened)
            guard number == EWOULDBLOCK else {
                throw SettingsError("cannot lock \(path): \(String(cString: strerror(number)))")
            }
            throw SettingsError("another rehabsync server (PID \(holder.map(String.init) ?? "unknown")) is using the data directory "
                                + "\(directory); stop it first, or give this server a data directory of its own")
        }
        let pid = Array("\(getpid())\n".utf8)
        // Best effort: the PID is only for the message above; the lock is what protects.
        _ = fchmod(opened, 0o600)
        _ = ftruncate(opened, 0)
        _ = pid.withUnsafeBytes { pwrite(opened, $0.baseAddress, $0.count, 0) }
        descriptor = Mutex(opened)
    }

    /// Releases the lock; later calls do nothing.
    public func release() {
        descriptor.withLock { descriptor in
            guard descriptor >= 0 else { return }
            // Closing the only descriptor of the open file releases the flock.
            close(descriptor)
            descriptor = -1
        }
    }

    deinit { release() }

    private static func recordedPID(_ descriptor: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        return Int32(String(decoding: buffer[..<count], as: UTF8.self).trimmingCharactersInSet())
    }
}
