import Foundation
import RehabSyncTestSupport
import Testing

/// The shared way tests run programs: a run that never ends fails the test instead of
/// hanging the suite.
struct TestExecutablesTests {
    @Test("A program still running at its deadline is killed and the run throws, naming it")
    func aRunPastItsDeadlineIsKilled() throws {
        let started = ContinuousClock.now
        #expect {
            _ = try TestExecutables.runProcess(URL(fileURLWithPath: "/bin/sleep"), ["60"], deadline: 0.5)
        } throws: { error in
            (error as? TestExecutables.ProcessTimeout)?.description.contains("sleep [\"60\"] still ran after 0.5 s") == true
        }
        #expect(started.duration(to: .now) < .seconds(30), "the run ended at its deadline, not with the program")
    }

    @Test("A program that ends in time gives its status and both outputs")
    func aRunThatEndsInTime() throws {
        let run = try TestExecutables.runProcess(URL(fileURLWithPath: "/bin/sh"), ["-c", "echo out; echo err >&2; exit 3"])
        #expect(run.status == 3)
        #expect(run.output == "out\n")
        #expect(run.errors == "err\n")
    }
}
