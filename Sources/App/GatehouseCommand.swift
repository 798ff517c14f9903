import ArgumentParser

/// The `gatehouse` command: a mutual-TLS server for trusted machines.
@main
struct GatehouseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gatehouse",
        abstract: "Serve functions to callers that prove who they are with TLS client certificates.",
        version: GatehouseVersion.current,
        subcommands: [Serve.self, Check.self, Certs.self, Call.self]
    )
}
