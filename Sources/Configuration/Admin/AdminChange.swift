/// A change of the `admin:` entry on reload, which needs a restart: the admin listener keeps its address, TLS
/// settings and policy until then (its certificate and key files are still re-read when they are unchanged paths).
enum AdminChange {
    /// `nil` when `running` and `new` agree; else the change as a listener change named `admin`, with the keys that
    /// changed (`added`, `removed`, `host`, `port`, `tls`, `policy`, `allowInsecure`, `limits`).
    static func pending(running: AdminConfiguration?, new: AdminConfiguration?) -> ListenerChanges.Pending? {
        let keys: [String]
        switch (running, new) {
        case (nil, nil):
            return nil
        case (nil, _?):
            keys = ["added"]
        case (_?, nil):
            keys = ["removed"]
        case (let old?, let new?):
            var changed: [String] = []
            if old.host != new.host { changed.append("host") }
            if old.port != new.port { changed.append("port") }
            if old.tls != new.tls { changed.append("tls") }
            if old.policy != new.policy { changed.append("policy") }
            if old.allowInsecure != new.allowInsecure { changed.append("allowInsecure") }
            if old.limits != new.limits { changed.append("limits") }
            guard !changed.isEmpty else { return nil }
            keys = changed
        }
        return ListenerChanges.Pending(listener: "admin", keys: keys)
    }
}
