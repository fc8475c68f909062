#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Files and directories that hold patient data or secrets are created for their owner
/// alone (directories 0700, files 0600), whatever the process umask, and existing ones
/// that others may read are found so that start-up can warn about them.
///
/// SQLite creates a database's `-wal` and `-shm` files itself, later, with the mode of the
/// database file (it sets that mode explicitly, past the umask), so a database file created
/// here keeps its companions owner-only too.
public enum OwnerOnlyFiles {
    /// The mode of a file holding patient data or secrets.
    public static let fileMode: mode_t = 0o600
    /// The mode of a directory holding such files.
    public static let directoryMode: mode_t = 0o700

    /// A file or directory that users other than its owner may read, write or enter.
    public struct LooseFile: Sendable, Hashable, CustomStringConvertible {
        public let path: String
        /// The permission bits, such as `0o644`.
        public let mode: Int

        public var description: String { "\(path) has mode \(String(mode, radix: 8))" }
    }

    /// Creates an empty file with mode 0600 unless something already exists at `path`.
    ///
    /// The mode is set with `fchmod` on the new descriptor before anything is written, so a
    /// permissive umask cannot leave the file readable by others even for a moment's data.
    public static func createFile(atPath path: String) throws(DatabaseError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, fileMode)
        guard descriptor >= 0 else {
            let number = errno
            // Existing files are left as they are; start-up warns about loose ones.
            if number == EEXIST { return }
            throw failure("cannot create \(path)", errno: number)
        }
        defer { close(descriptor) }
        guard fchmod(descriptor, fileMode) == 0 else { throw failure("cannot set mode 0600 on \(path)", errno: errno) }
    }

    /// Creates `path` (and missing parents) as a directory with mode 0700; an existing
    /// directory is left as it is.
    public static func createDirectory(atPath path: String) throws(DatabaseError) {
        var isDirectory = false
        if exists(path, isDirectory: &isDirectory) {
            guard isDirectory else { throw failure("\(path) exists and is not a directory", errno: ENOTDIR) }
            return
        }
        let parent = parentDirectory(of: path)
        if !parent.isEmpty, parent != path {
            var parentIsDirectory = false
            // Parents are ordinary directories (say /var/lib); only the last one holds data.
            if !exists(parent, isDirectory: &parentIsDirectory) { try createDirectory(atPath: parent) }
        }
        guard mkdir(path, directoryMode) == 0 || errno == EEXIST else {
            throw failure("cannot create the directory \(path)", errno: errno)
        }
        guard chmod(path, directoryMode) == 0 else { throw failure("cannot set mode 0700 on \(path)", errno: errno) }
    }

    /// The paths among `paths` that exist and grant any permission to group or others.
    public static func looseFiles(_ paths: [String]) -> [LooseFile] {
        paths.compactMap { path in
            var status = stat()
            guard stat(path, &status) == 0 else { return nil }
            let mode = Int(status.st_mode & 0o777)
            return mode & 0o077 != 0 ? LooseFile(path: path, mode: mode) : nil
        }
    }

    /// A database file with its write-ahead log and shared-memory index.
    public static func databaseFiles(_ path: String) -> [String] {
        [path, path + "-wal", path + "-shm"]
    }

    private static func exists(_ path: String, isDirectory: inout Bool) -> Bool {
        var status = stat()
        guard stat(path, &status) == 0 else { return false }
        isDirectory = status.st_mode & S_IFMT == S_IFDIR
        return true
    }

    private static func parentDirectory(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "" }
        return slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
    }

    private static func failure(_ what: String, errno number: Int32) -> DatabaseError {
        DatabaseError(extendedResultCode: DatabaseError.Code.cannotOpen,
                      message: "\(what): \(String(cString: strerror(number)))")
    }
}
