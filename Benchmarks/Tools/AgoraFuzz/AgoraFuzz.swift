import Foundation

/// `agora-fuzz [--seconds N] [--seed S] [--crashes DIR] [target…]`: a seeded fuzz campaign
/// against every decoder that reads untrusted bytes. Each target runs in a child process
/// so a trap is caught and reported (target, seed, input file) instead of ending the run.
/// `--replay FILE target` runs one saved input in-process, to debug a crash.
@main
enum AgoraFuzz {
    static func main() throws {
        var arguments = Array(CommandLine.arguments.dropFirst())
        var seconds = 10.0
        var seed: UInt64 = 1
        var crashes = "fuzz-crashes"
        var child: String?
        var crashFile = ""
        var replay: String?
        var names: [String] = []
        while !arguments.isEmpty {
            let argument = arguments.removeFirst()
            func value() -> String {
                guard !arguments.isEmpty else { fail("\(argument) needs a value") }
                return arguments.removeFirst()
            }
            switch argument {
            case "--seconds": seconds = Double(value()) ?? { fail("--seconds needs a number") }()
            case "--seed": seed = UInt64(value()) ?? { fail("--seed needs an unsigned integer") }()
            case "--crashes": crashes = value()
            case "--child": child = value()
            case "--crash-file": crashFile = value()
            case "--replay": replay = value()
            case "--list":
                print(FuzzTarget.all.map(\.name).joined(separator: "\n"))
                return
            default: names.append(argument)
            }
        }
        if let child {
            ChildRun.run(target: target(named: child), seed: seed, seconds: seconds, crashFile: crashFile)
        }
        if let replay {
            guard let name = names.first else { fail("--replay FILE needs a target") }
            let input = try [UInt8](Data(contentsOf: URL(fileURLWithPath: replay)))
            target(named: name).run(input)
            print("no crash")
            return
        }
        let targets = names.isEmpty ? FuzzTarget.all : names.map(target(named:))
        let campaign = Campaign(
            executable: Bundle.main.executablePath ?? CommandLine.arguments[0], seconds: seconds, seed: seed,
            crashDirectory: URL(fileURLWithPath: crashes)
        )
        print("target        inputs      inputs/s   crashes")
        var total: UInt64 = 0
        var crashed = 0
        for target in targets {
            let result = try campaign.run(target)
            total += result.inputs
            crashed += result.crashes.count
            let rate = Double(result.inputs) / max(result.seconds, 0.001)
            print(
                target.name.padding(toLength: 12, withPad: " ", startingAt: 0),
                String(result.inputs).leftPadded(12), String(Int(rate)).leftPadded(12), String(result.crashes.count).leftPadded(9)
            )
        }
        print("total \(total) inputs, \(crashed) crashes (seed \(seed), \(seconds) s per target)")
        if crashed > 0 { exit(1) }
    }

    static func target(named name: String) -> FuzzTarget {
        guard let target = FuzzTarget.all.first(where: { $0.name == name }) else {
            fail("unknown target \(name); known: \(FuzzTarget.all.map(\.name).joined(separator: ", "))")
        }
        return target
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("agora-fuzz: \(message)\n".utf8))
        exit(2)
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
