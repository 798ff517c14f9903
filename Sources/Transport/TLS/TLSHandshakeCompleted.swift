/// The inbound user event a ``TLSHandler`` fires once the handshake succeeds, before any plaintext is read.
public struct TLSHandshakeCompleted: Sendable {
    /// What the handshake established.
    public let info: TLSSessionInfo

    /// Wraps the session facts.
    public init(info: TLSSessionInfo) {
        self.info = info
    }
}
