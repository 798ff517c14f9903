import Foundation
import Testing

/// deploy/: the systemd unit (checked by `systemd-analyze` where it exists), the Containerfile (parsed: no container
/// engine runs here) and the Kubernetes example (validated against the Kubernetes schemas by `kubernetes-validate`
/// where it is installed; `make test-deps` installs it).
@Suite("deploy/ files")
struct DeployFilesTests {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func read(_ path: String) throws -> String {
        try String(contentsOf: self.repository.appendingPathComponent(path), encoding: .utf8)
    }

    /// The executable `name` on the PATH, if any.
    static func tool(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    @Test func theSystemdUnitIsSandboxedChecksTheConfigurationAndVerifies() async throws {
        let unit = try Self.read("deploy/systemd/gatehouse.service")
        let settings = UnitFile(unit).settings
        for (key, value) in [
            ("DynamicUser", "yes"), ("ProtectSystem", "strict"), ("NoNewPrivileges", "yes"),
            ("AmbientCapabilities", "CAP_NET_BIND_SERVICE"), ("ExecReload", "/bin/kill -HUP $MAINPID"),
            ("ConfigurationDirectory", "gatehouse"), ("StateDirectory", "gatehouse"),
        ] {
            #expect(settings[key] == [value], "\(key)=\(settings[key] ?? [])")
        }
        #expect(settings["ExecStartPre"] == ["/usr/local/bin/gatehouse check --config ${CONFIGURATION}"])
        #expect(settings["ExecStart"] == ["/usr/local/bin/gatehouse serve --config ${CONFIGURATION}"])

        guard let analyze = Self.tool("systemd-analyze") else {
            print("DeployFilesTests: systemd-analyze not found (Debian's systemd package): the unit is not verified")
            return
        }
        // `verify` wants the programs the unit runs to exist: point it at the gatehouse this build made.
        let folder = try temporaryDirectory()
        let file = folder + "/gatehouse.service"
        try unit.replacingOccurrences(of: "/usr/local/bin/gatehouse", with: try builtExecutable("gatehouse"))
            .write(toFile: file, atomically: true, encoding: .utf8)
        let verify = try await runProcess(analyze, ["verify", file])
        #expect(verify.exitCode == 0, "\(verify.stderr)")
        #expect(verify.stderr.isEmpty, "\(verify.stderr)")
        // systemd's own rating of the sandbox: 0 (locked down) to 10 (exposed); 2 and below is "OK".
        let security = try await runProcess(analyze, ["security", "--offline=true", "--no-pager", file])
        #expect(security.exitCode == 0, "\(security.stderr)")
        let overall = try #require(security.stdout.firstMatch(of: /Overall exposure level for [^:]+: ([0-9.]+)/))
        let exposure = try #require(Double(overall.1))
        #expect(exposure <= 2.0, "\(security.stdout)")
    }

    @Test func theContainerfileBuildsStaticallyAndRunsUnprivileged() throws {
        print("DeployFilesTests: no container engine runs here: deploy/Containerfile is parsed, not built")
        let instructions = Containerfile(try Self.read("deploy/Containerfile")).instructions
        let froms = instructions.filter { $0.keyword == "FROM" }.map(\.arguments)
        #expect(froms.count == 2)
        #expect(froms.first?.hasPrefix("swift:6.3") == true, "\(froms)")
        #expect(froms.first?.hasSuffix(" AS build") == true, "\(froms)")
        #expect(froms.last == "debian:bookworm-slim", "\(froms)")
        let stages = instructions.split { $0.keyword == "FROM" }.map { Array($0) }
        let (build, runtime) = (stages[0], stages[1])
        let buildRuns = build.filter { $0.keyword == "RUN" }.map(\.arguments).joined(separator: "\n")
        #expect(buildRuns.contains("libssl-dev") && buildRuns.contains("libnghttp2-dev"), "\(buildRuns)")
        #expect(buildRuns.contains("swift build -c release --static-swift-stdlib --product gatehouse"))
        let runtimeRuns = runtime.filter { $0.keyword == "RUN" }.map(\.arguments).joined(separator: "\n")
        #expect(runtimeRuns.contains("libssl3") && runtimeRuns.contains("libnghttp2-14"), "\(runtimeRuns)")
        #expect(!runtimeRuns.contains("-dev"), "the runtime image needs no headers: \(runtimeRuns)")
        let user = try #require(runtime.last { $0.keyword == "USER" }?.arguments)
        #expect(!["root", "0", "0:0"].contains(user) && !user.hasPrefix("0:") && !user.hasPrefix("root"), "\(user)")
        #expect(runtime.contains { $0.keyword == "COPY" && $0.arguments.hasPrefix("--from=build ") })
        #expect(runtime.contains { $0.keyword == "EXPOSE" && $0.arguments.split(separator: " ").contains("8443") })
        let healthcheck = try #require(runtime.first { $0.keyword == "HEALTHCHECK" }?.arguments)
        #expect(healthcheck.contains("/healthz") && runtimeRuns.contains("curl"), "\(healthcheck)")
        #expect(
            runtime.last { $0.keyword == "ENTRYPOINT" }?.arguments
                == #"["gatehouse", "serve", "--config", "/etc/gatehouse/gatehouse.yaml"]"#
        )
        // Every file the build stage copies from the repository exists (patterns may match nothing).
        for copy in build where copy.keyword == "COPY" && !copy.arguments.hasPrefix("--from") {
            for source in copy.arguments.split(separator: " ").dropLast() where !source.contains("[") {
                let path = Self.repository.appendingPathComponent(String(source)).path
                #expect(FileManager.default.fileExists(atPath: path), "COPY \(source): no such file in the repository")
            }
        }
    }

    @Test func theKubernetesExampleHasReplicasProbesAndALockedDownPod() async throws {
        let deployment = try Self.read("deploy/kubernetes/deployment.yaml")
        let configuration = try Self.read("deploy/kubernetes/configmap.yaml")
        let service = try Self.read("deploy/kubernetes/service.yaml")
        let replicas = try #require(deployment.firstMatch(of: /\n  replicas: (\d+)\n/).flatMap { Int($0.1) })
        #expect(replicas >= 2)
        for expected in [
            "httpGet: { path: /healthz, port: admin, scheme: HTTP }",
            "httpGet: { path: /readyz, port: admin, scheme: HTTP }",
            "- { name: admin, containerPort: 9100, protocol: TCP }",
            "runAsNonRoot: true", "readOnlyRootFilesystem: true", "allowPrivilegeEscalation: false",
            "drop: [\"ALL\"]", "name: gatehouse-config", "name: gatehouse-tls", "requests: {", "limits: {",
            "mountPath: /etc/gatehouse, readOnly: true",
        ] {
            #expect(deployment.contains(expected), "\(expected)")
        }
        // A subPath mount is never updated: the reloader would not see a ConfigMap or Secret change.
        #expect(!deployment.contains("subPath:"))
        #expect(configuration.contains("    admin:\n      host: 0.0.0.0\n      port: 9100\n"), "\(configuration)")
        #expect(service.contains("kind: Service\n") && service.contains("targetPort: https"))
        #expect(!service.contains("9100"), "the Service must not expose the admin port")

        // kubernetes-validate carries the schemas; run as a module so a pip install outside the PATH is found too.
        let installed = try? await runProcess("/usr/bin/env", ["python3", "-c", "import kubernetes_validate"])
        guard installed?.exitCode == 0 else {
            print(
                "DeployFilesTests: python3 -m kubernetes_validate is not available (PyPI's kubernetes-validate; "
                    + "`make test-deps` installs it): the Kubernetes example is not validated against the schemas"
            )
            return
        }
        let files = ["deployment.yaml", "configmap.yaml", "service.yaml"].map {
            Self.repository.appendingPathComponent("deploy/kubernetes/" + $0).path
        }
        let output = try await runProcess("/usr/bin/env", ["python3", "-m", "kubernetes_validate", "--strict"] + files)
        #expect(output.exitCode == 0, "\(output.stdout)\(output.stderr)")
        #expect(!output.stdout.contains("ERROR") && !output.stdout.contains("WARN"), "\(output.stdout)")
    }

    /// The ConfigMap's gatehouse.yaml, its `/etc/gatehouse/` moved to a folder with the Secret's three files (minted
    /// here), passes `gatehouse check` without a warning. Its `admin:` block is taken out: this is about the
    /// listener, the policy and the routes.
    @Test func theKubernetesConfigurationPassesCheck() async throws {
        let configMap = try Self.read("deploy/kubernetes/configmap.yaml")
        let start = try #require(configMap.range(of: "  gatehouse.yaml: |\n"))
        var lines: [String] = []
        var inAdmin = false
        for line in configMap[start.upperBound...].split(separator: "\n") {
            let text = String(line.dropFirst(4))
            if text == "admin:" {
                inAdmin = true
            } else if !inAdmin || !text.hasPrefix("  ") {
                inAdmin = false
                lines.append(text)
            }
        }
        let folder = try CheckFolder()
        try FileManager.default.createDirectory(atPath: folder.path + "/tls", withIntermediateDirectories: true)
        for (from, to) in [("server.crt", "tls.crt"), ("server.key", "tls.key"), ("ca.crt", "ca.crt")] {
            try FileManager.default.copyItem(atPath: folder.path + "/pki/" + from, toPath: folder.path + "/tls/" + to)
        }
        let yaml = lines.joined(separator: "\n").replacingOccurrences(of: "/etc/gatehouse/", with: folder.path + "/")
        let file = try folder.write(yaml)
        let output = try await runProcess(try builtExecutable("gatehouse"), ["check", "--config", file])
        #expect(output.exitCode == 0, "\(output.stderr)")
        #expect(output.stdout.hasSuffix("(no warnings).\n"), "\(output.stdout)")
        #expect(output.stdout.contains("  routes[0]  GET /api/hello → policy partners → function hello\n"))
    }
}

/// A systemd unit's `Key=value` settings, each key's values in order.
struct UnitFile {
    var settings: [String: [String]] = [:]

    init(_ text: String) {
        for line in text.split(separator: "\n") where !line.hasPrefix("#") && !line.hasPrefix("[") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            self.settings[String(line[..<equals]), default: []].append(String(line[line.index(after: equals)...]))
        }
    }
}

/// A Containerfile's instructions (continuation lines joined, comments dropped).
struct Containerfile {
    struct Instruction {
        var keyword: String
        var arguments: String
    }

    var instructions: [Instruction] = []

    init(_ text: String) {
        var logical = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("#") { continue }
            if trimmed.hasSuffix("\\") {
                logical += trimmed.dropLast() + " "
                continue
            }
            logical += trimmed
            let parts = logical.split(separator: " ", maxSplits: 1)
            if let keyword = parts.first {
                let arguments = parts.count > 1 ? String(parts[1]) : ""
                self.instructions.append(
                    Instruction(
                        keyword: keyword.uppercased(),
                        arguments: arguments.split(separator: " ", omittingEmptySubsequences: true).joined(
                            separator: " "
                        )
                    )
                )
            }
            logical = ""
        }
    }
}
