/// The version `gatehouse --version` prints: this source tree's release, written here by hand when a release is
/// cut (semantic versioning; below 1.0 the library API may still change between minor versions). The one place
/// the version is defined.
enum GatehouseVersion {
    static let current = "0.1.0"
}
