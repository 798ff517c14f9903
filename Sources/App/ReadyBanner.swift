import Foundation
import ServiceLifecycle

/// Prints the banner from inside the service group, which installs its signal handlers before it starts any
/// service: once the banner is out, SIGTERM and SIGINT already mean "shut down gracefully", so a script that
/// stops the server as soon as it has read the banner gets a clean exit (status 0), not the default action of the
/// signal.
struct ReadyBanner: Service {
    let text: String

    func run() async {
        // Written unbuffered: people and scripts wait for the banner on a pipe.
        FileHandle.standardOutput.write(Data((self.text + "\n").utf8))
        // Returning would end the group: stay until it shuts down.
        try? await gracefulShutdown()
    }
}
