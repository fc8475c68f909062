import RehabSyncCrypto

/// The administrator token: created on first start, written to a file only its owner
/// may read, and read back on later starts and by `rehabsync admin` commands.
public enum AdminTokenFile {
    /// Reads the token at `path`, creating it if absent. Returns the token and whether it
    /// was created now.
    public static func loadOrCreate(at path: String) throws -> (token: String, created: Bool) {
        if let existing = try read(at: path) { return (existing, false) }
        let token = try BearerToken.generate()
        try SecretFile.create(at: path, text: token, what: "admin token")
        return (token, true)
    }

    /// The token at `path`, or nil if there is no such file. A file that others may read
    /// is refused: the token would already have to be considered leaked.
    public static func read(at path: String) throws -> String? {
        try SecretFile.read(at: path, what: "admin token")
    }
}
