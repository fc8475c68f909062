import Foundation

/// Reads the environment; kept apart so the core itself never imports Foundation.
enum ProcessInfoShim {
    static func environment(_ name: String) -> String? {
        ProcessInfo.processInfo.environment[name]
    }
}
