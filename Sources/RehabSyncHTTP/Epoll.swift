#if canImport(Glibc)
import Glibc

/// Linux's readiness API, `epoll(7)`, and the `eventfd(2)` the event loop is woken with.
///
/// Swift's Glibc module does not import `<sys/epoll.h>` or `<sys/eventfd.h>`, and the
/// project takes no C targets beyond its system libraries, so the four functions are looked
/// up in the C library at first use (`dlsym`) and called through their C signatures. The
/// `struct epoll_event` layout is spelled out below because Swift cannot see its header:
/// on x86-64 the kernel declares it packed (12 bytes, data at offset 4); elsewhere it is
/// naturally aligned (16 bytes, data at offset 8).
///
/// Level-triggered throughout: the loop changes a descriptor's interest when its
/// connection's state changes, and a readiness it did not consume is reported again. That
/// costs an `epoll_ctl` per state change but never loses a wake-up, which edge-triggering
/// would do whenever a read or write stops short of `EAGAIN`.
final class Epoll {
    /// What a descriptor is watched for, and what was reported.
    struct Events: OptionSet, Sendable {
        let rawValue: UInt32
        /// `EPOLLIN`: data, end of input, or a connection to accept.
        static let readable = Events(rawValue: 0x001)
        /// `EPOLLOUT`: room in the send buffer.
        static let writable = Events(rawValue: 0x004)
        /// `EPOLLERR`: always reported, never asked for.
        static let error = Events(rawValue: 0x008)
        /// `EPOLLHUP`: always reported, never asked for.
        static let hangup = Events(rawValue: 0x010)
        /// `EPOLLEXCLUSIVE`: of several epoll instances watching one descriptor, wake one.
        /// Only when adding; such a registration cannot be modified.
        static let exclusive = Events(rawValue: 1 << 28)
    }

    /// One readiness report: the descriptor registered and what it is ready for.
    struct Readiness {
        var descriptor: Int32
        var events: Events
    }

    private typealias CreateFunction = @convention(c) (Int32) -> Int32
    private typealias ControlFunction = @convention(c) (Int32, Int32, Int32, UnsafeMutableRawPointer?) -> Int32
    private typealias WaitFunction = @convention(c) (Int32, UnsafeMutableRawPointer?, Int32, Int32) -> Int32
    private typealias EventFDFunction = @convention(c) (UInt32, Int32) -> Int32

    private struct Functions {
        let create: CreateFunction
        let control: ControlFunction
        let wait: WaitFunction
        let eventfd: EventFDFunction
    }

    /// Resolved once per process; nil only on a C library without epoll (not Linux).
    private static let functions: Functions? = {
        guard let create = dlsym(nil, "epoll_create1"), let control = dlsym(nil, "epoll_ctl"),
            let wait = dlsym(nil, "epoll_wait"), let eventfd = dlsym(nil, "eventfd")
        else { return nil }
        return Functions(create: unsafeBitCast(create, to: CreateFunction.self),
                         control: unsafeBitCast(control, to: ControlFunction.self),
                         wait: unsafeBitCast(wait, to: WaitFunction.self),
                         eventfd: unsafeBitCast(eventfd, to: EventFDFunction.self))
    }()

    #if arch(x86_64)
    private static let eventSize = 12
    private static let dataOffset = 4
    #else
    private static let eventSize = 16
    private static let dataOffset = 8
    #endif

    private static let controlAdd: Int32 = 1
    private static let controlDelete: Int32 = 2
    private static let controlModify: Int32 = 3
    /// `EPOLL_CLOEXEC` and `EFD_CLOEXEC` (both `O_CLOEXEC`).
    private static let closeOnExec: Int32 = 0o2_000_000
    /// `EFD_NONBLOCK` (`O_NONBLOCK`).
    private static let eventNonBlocking: Int32 = 0o4000

    let descriptor: Int32
    private let functions: Functions
    private let capacity: Int
    private let buffer: UnsafeMutableRawPointer

    /// Creates an epoll instance reporting at most `capacity` descriptors per wait.
    init(capacity: Int = 1024) throws(HTTPServerError) {
        guard let functions = Self.functions else { throw .systemCall("dlsym(epoll_create1)", errno: ENOSYS) }
        let descriptor = functions.create(Self.closeOnExec)
        guard descriptor >= 0 else { throw .lastError("epoll_create1") }
        self.descriptor = descriptor
        self.functions = functions
        self.capacity = capacity
        buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity * Self.eventSize, alignment: 8)
    }

    deinit {
        buffer.deallocate()
        _ = close(descriptor)
    }

    /// Starts watching `fd`.
    func add(_ fd: Int32, for events: Events) throws(HTTPServerError) {
        try control(Self.controlAdd, fd, events, name: "epoll_ctl(ADD)")
    }

    /// Changes what `fd` is watched for.
    func modify(_ fd: Int32, for events: Events) throws(HTTPServerError) {
        try control(Self.controlModify, fd, events, name: "epoll_ctl(MOD)")
    }

    /// Stops watching `fd`; call before closing it. Errors are ignored: the descriptor is
    /// about to go, and closing removes it from the set anyway.
    func remove(_ fd: Int32) {
        var event = [UInt8](repeating: 0, count: Self.eventSize)
        _ = event.withUnsafeMutableBytes { functions.control(descriptor, Self.controlDelete, fd, $0.baseAddress) }
    }

    private func control(_ operation: Int32, _ fd: Int32, _ events: Events, name: String) throws(HTTPServerError) {
        var event = [UInt8](repeating: 0, count: Self.eventSize)
        let result = event.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: events.rawValue, toByteOffset: 0, as: UInt32.self)
            raw.storeBytes(of: UInt64(UInt32(bitPattern: fd)), toByteOffset: Self.dataOffset, as: UInt64.self)
            return functions.control(descriptor, operation, fd, raw.baseAddress)
        }
        guard result == 0 else { throw .lastError(name) }
    }

    /// Waits up to `timeoutMilliseconds` (-1: without limit) and reports what is ready.
    /// An interrupted wait reports nothing.
    func wait(timeoutMilliseconds: Int32, into ready: inout [Readiness]) throws(HTTPServerError) {
        ready.removeAll(keepingCapacity: true)
        let count = functions.wait(descriptor, buffer, Int32(capacity), timeoutMilliseconds)
        if count < 0 {
            if errno == EINTR { return }
            throw .lastError("epoll_wait")
        }
        for index in 0..<Int(count) {
            let base = index * Self.eventSize
            let events = buffer.loadUnaligned(fromByteOffset: base, as: UInt32.self)
            let data = buffer.loadUnaligned(fromByteOffset: base + Self.dataOffset, as: UInt64.self)
            ready.append(Readiness(descriptor: Int32(truncatingIfNeeded: data), events: Events(rawValue: events)))
        }
    }

    /// A non-blocking, close-on-exec `eventfd` starting at zero.
    static func makeEventFD() throws(HTTPServerError) -> Int32 {
        guard let functions else { throw .systemCall("dlsym(eventfd)", errno: ENOSYS) }
        let fd = functions.eventfd(0, closeOnExec | eventNonBlocking)
        guard fd >= 0 else { throw .lastError("eventfd") }
        return fd
    }
}
#endif
