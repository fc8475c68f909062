import Foundation
import RehabSyncFuzzing

#if FUZZING
// Built with `-sanitize=fuzzer` and `-D FUZZING` (see .ci/fuzz.sh). SwiftPM renames an
// executable's main, so libFuzzer's own main never runs; main hands over to its driver,
// which calls fuzzOneInput with each input. REHABSYNC_FUZZ_TARGET names the target.
private let target: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["REHABSYNC_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        fatalError("set REHABSYNC_FUZZ_TARGET to one of \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    return target
}()

private func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: count)) } ?? []
    do {
        _ = try target.run(bytes)
    } catch {
        // A broken property is a finding: stop, so libFuzzer keeps the input.
        fatalError("\(target.rawValue): \(error)")
    }
    return 0
}

/// libFuzzer's entry for programs that keep their own main.
@_silgen_name("LLVMFuzzerRunDriver")
private func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

@main
struct FuzzMain {
    static func main() {
        _ = target
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(runFuzzerDriver(&argc, &argv) { data, count in fuzzOneInput(data, count) })
    }
}
#else
/// Without the fuzzer: replays inputs (a crash file libFuzzer saved, a corpus) through a
/// target, so that a finding can be reproduced under a debugger.
@main
struct FuzzReplay {
    static func main() {
        let words = Array(CommandLine.arguments.dropFirst())
        guard let name = words.first, let target = FuzzTarget(rawValue: name) else {
            FileHandle.standardError.write(Data("""
                Usage: rehabsync-fuzz <target> FILE...
                Targets: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))
                Replays each FILE through the target. To fuzz, build with .ci/fuzz.sh.

                """.utf8))
            exit(2)
        }
        var failed = false
        for path in words.dropFirst() {
            guard let data = FileManager.default.contents(atPath: path) else {
                print("\(path): unreadable")
                failed = true
                continue
            }
            do {
                print("\(path): \(try target.run(Array(data)))")
            } catch {
                print("\(path): \(error)")
                failed = true
            }
        }
        exit(failed ? 1 : 0)
    }
}
#endif
