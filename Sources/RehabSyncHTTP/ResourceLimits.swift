#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's descriptor limit, which caps how many connections it can hold.
enum ResourceLimits {
    /// Descriptors kept beyond the connection limit for the database, its WAL, log files
    /// and the loop's own (listener, epoll, eventfd).
    static let reservedDescriptors = 64

    /// Raises the soft `RLIMIT_NOFILE` toward `wanted`, as far as the hard limit allows,
    /// and returns the soft limit now in force. Never lowers it.
    static func raiseDescriptorLimit(toward wanted: Int) -> Int {
        var limit = rlimit()
        #if canImport(Glibc)
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        #else
        let resource = RLIMIT_NOFILE
        #endif
        guard getrlimit(resource, &limit) == 0 else { return -1 }
        let target = rlim_t(max(0, wanted))
        if limit.rlim_cur < target {
            var raised = limit
            raised.rlim_cur = limit.rlim_max == rlim_t.max ? target : min(target, limit.rlim_max)
            if setrlimit(resource, &raised) == 0 { limit = raised }
        }
        return limit.rlim_cur == rlim_t.max ? Int.max : Int(clamping: limit.rlim_cur)
    }
}
