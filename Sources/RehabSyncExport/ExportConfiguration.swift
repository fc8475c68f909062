/// The export side's files: the jobs (`Jobs/`, or `REHABSYNC_JOBS_DIR`) and the register
/// targets (`register.json` beside the server's configuration file).
public struct ExportConfiguration: Sendable {
    public let catalog: ExportJobCatalog
    public let targets: [String: RegisterTarget]

    public init(catalog: ExportJobCatalog, targets: [String: RegisterTarget]) {
        self.catalog = catalog
        self.targets = targets
    }

    /// Loads and validates both; an error names the file and the field.
    ///
    /// - Parameter configPath: The server's configuration file (`--config`); `register.json`
    ///   is read from its directory.
    public static func load(configPath: String?, environment: [String: String]) throws(ExportError) -> ExportConfiguration {
        let config = configPath ?? environment["REHABSYNC_CONFIG"] ?? "Config/rehabsync.json"
        let directory = config.contains("/") ? String(config[..<(config.lastIndex(of: "/") ?? config.startIndex)]) : "."
        let targets = try RegisterTarget.load(path: directory + "/register.json", environment: environment)
        let catalog = try ExportJobCatalog.load(directory: environment["REHABSYNC_JOBS_DIR"] ?? "Jobs", targets: Set(targets.keys))
        return ExportConfiguration(catalog: catalog, targets: targets)
    }
}
