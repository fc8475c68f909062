// swift-tools-version:6.0
import PackageDescription

// Layers point inward: the pure core knows nothing of I/O; storage is the only
// module that talks to SQLite; executables sit on top.
let package = Package(
    name: "RehabSync",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "rehabsync", targets: ["rehabsync"]),
        .executable(name: "rehabsync-bench", targets: ["rehabsync-bench"]),
        .executable(name: "rehabsync-fuzz", targets: ["rehabsync-fuzz"]),
    ],
    targets: [
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .systemLibrary(
            name: "CCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(name: "RehabSyncCore"),
        .target(name: "RehabSyncDomain", dependencies: ["RehabSyncCore"]),
        .target(name: "RehabSyncCrypto", dependencies: ["CCrypto"]),
        .target(name: "RehabSyncHTTP"),
        .target(name: "RehabSyncClient", dependencies: ["CCurl"]),
        .target(name: "RehabSyncCommandLine", dependencies: ["RehabSyncCore", "RehabSyncDomain"]),
        .target(name: "RehabSyncReferenceFiles", dependencies: ["RehabSyncDomain"]),
        .target(
            name: "RehabSyncReplica",
            dependencies: ["RehabSyncCore", "RehabSyncDomain", "RehabSyncStorage", "RehabSyncClient", "RehabSyncCrypto"]
        ),
        .target(name: "RehabSyncStorage", dependencies: ["CSQLite", "RehabSyncCore"]),
        .target(
            name: "RehabSyncServer",
            dependencies: [
                "RehabSyncCore", "RehabSyncDomain", "RehabSyncStorage", "RehabSyncHTTP", "RehabSyncCrypto", "RehabSyncReferenceFiles",
                "RehabSyncExport",
            ]
        ),
        .target(
            name: "RehabSyncExport",
            dependencies: [
                "RehabSyncCore", "RehabSyncDomain", "RehabSyncStorage", "RehabSyncClient", "RehabSyncCrypto", "RehabSyncHTTP",
            ]
        ),
        .executableTarget(
            name: "rehabsync",
            dependencies: [
                "RehabSyncCore", "RehabSyncStorage", "RehabSyncServer", "RehabSyncHTTP", "RehabSyncClient", "RehabSyncDomain",
                "RehabSyncCommandLine", "RehabSyncReplica", "RehabSyncReferenceFiles", "RehabSyncExport",
            ]
        ),
        .executableTarget(
            name: "rehabsync-bench",
            dependencies: [
                "RehabSyncCore", "RehabSyncStorage", "RehabSyncCommandLine", "RehabSyncServer", "RehabSyncClient", "RehabSyncHTTP",
                "RehabSyncDomain", "RehabSyncReplica", "RehabSyncExport",
            ]
        ),
        // Fuzz targets over the parsers that face untrusted bytes, for libFuzzer and a test.
        .target(
            name: "RehabSyncFuzzing",
            dependencies: ["RehabSyncCore", "RehabSyncDomain", "RehabSyncHTTP", "RehabSyncServer", "RehabSyncStorage"]
        ),
        .executableTarget(name: "rehabsync-fuzz", dependencies: ["RehabSyncFuzzing"]),
        .testTarget(name: "RehabSyncFuzzingTests", dependencies: ["RehabSyncFuzzing", "RehabSyncCore"], exclude: ["Corpus"]),
        // Helpers every test target shares; a plain target kept under Tests/.
        .target(name: "RehabSyncTestSupport", dependencies: ["RehabSyncCore"], path: "Tests/RehabSyncTestSupport"),
        .testTarget(name: "RehabSyncCoreTests", dependencies: ["RehabSyncCore", "RehabSyncTestSupport"]),
        .testTarget(name: "RehabSyncStorageTests", dependencies: ["RehabSyncStorage", "RehabSyncCore", "RehabSyncTestSupport"]),
        .testTarget(name: "RehabSyncDomainTests", dependencies: ["RehabSyncDomain", "RehabSyncCore", "RehabSyncTestSupport"]),
        .testTarget(name: "RehabSyncCryptoTests", dependencies: ["RehabSyncCrypto", "RehabSyncTestSupport"]),
        .testTarget(name: "RehabSyncHTTPTests", dependencies: ["RehabSyncHTTP", "RehabSyncTestSupport"]),
        .testTarget(
            name: "RehabSyncReplicaTests",
            dependencies: [
                "RehabSyncReplica", "RehabSyncServer", "RehabSyncCore", "RehabSyncDomain", "RehabSyncStorage", "RehabSyncHTTP",
                "RehabSyncClient", "RehabSyncReferenceFiles", "RehabSyncTestSupport",
            ]
        ),
        .testTarget(
            name: "RehabSyncServerTests",
            dependencies: [
                "RehabSyncServer", "RehabSyncCore", "RehabSyncDomain", "RehabSyncStorage", "RehabSyncCrypto", "RehabSyncHTTP",
                "RehabSyncClient", "RehabSyncTestSupport",
            ]
        ),
        .testTarget(
            name: "RehabSyncExportTests",
            dependencies: [
                "RehabSyncExport", "RehabSyncServer", "RehabSyncCore", "RehabSyncDomain", "RehabSyncStorage", "RehabSyncHTTP",
                "RehabSyncClient", "RehabSyncCrypto", "RehabSyncReferenceFiles", "RehabSyncTestSupport",
            ]
        ),
        .testTarget(name: "RehabSyncCommandLineTests", dependencies: ["RehabSyncCommandLine", "RehabSyncCore", "RehabSyncTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
