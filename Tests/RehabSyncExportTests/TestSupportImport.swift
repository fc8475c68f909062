// The shared helpers (temporary directories, loopback sockets, the built executables,
// write stamps) live in one target; re-exported so every file here sees them unimported.
@_exported import RehabSyncTestSupport
