import GatehouseCertificates
import GatehouseTransport
import NIOCore

/// Waits for the TLS handshake, checks that the server's certificate names the host, then installs the protocol
/// handlers ALPN chose and reports the connection ready.
///
/// OpenSSL checks the host during the handshake (`SSL_set1_host`, `X509_VERIFY_PARAM_set1_ip_asc`); the check here
/// runs on every verified connection whatever the host's form, so the client never fails open.
///
/// The handlers are added synchronously in the handshake event, so application data (or a TLS 1.3 alert) that came
/// with the server's last flight finds them in place. Removes itself once done.
final class ClientConnectionSetupHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let configuration: ClientConfiguration
    private let verifiedHost: String?
    private let state: ClientConnectionState
    private let ready: EventLoopPromise<ClientConnectionFacts>

    init(
        configuration: ClientConfiguration,
        verifiedHost: String?,
        state: ClientConnectionState,
        ready: EventLoopPromise<ClientConnectionFacts>
    ) {
        self.configuration = configuration
        self.verifiedHost = verifiedHost
        self.state = state
        self.ready = ready
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let completed = event as? TLSHandshakeCompleted else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        let info = completed.info
        if let host = self.verifiedHost, info.peerCertificate?.matchesHost(host) != true {
            let names = info.peerCertificate?.subjectAlternativeNames.map(\.description).joined(separator: ", ")
            self.fail(context: context, .hostMismatch(host: host, certificateNames: names ?? "no certificate"))
            return
        }
        let version: HTTPVersionKind = info.alpn == "h2" ? .http2 : .http1_1
        if self.configuration.httpVersion == .http2 && version != .http2 {
            self.fail(
                context: context,
                ClientError(.protocolError, "the server did not agree to HTTP/2 (ALPN: \(info.alpn ?? "none"))")
            )
            return
        }
        let facts = ClientConnectionFacts(httpVersion: version, tls: info, configuration: self.configuration)
        do {
            try self.installProtocolHandlers(context: context, facts: facts)
        } catch {
            self.fail(context: context, ClientError(.protocolError, "could not set up \(version)", detail: "\(error)"))
            return
        }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        self.ready.succeed(facts)
    }

    private func installProtocolHandlers(context: ChannelHandlerContext, facts: ClientConnectionFacts) throws {
        let pipeline = context.pipeline.syncOperations
        switch facts.httpVersion {
        case .http2:
            try pipeline.addHandler(HTTP2ClientHandler(facts: facts, state: self.state), position: .after(self))
        case .http1_1:
            try pipeline.addHandler(HTTP1ClientHandler(facts: facts, state: self.state), position: .after(self))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? TLSError {
            self.fail(context: context, .tls(error, host: self.verifiedHost))
        } else {
            self.fail(context: context, ClientError(.tlsHandshakeFailed, "the TLS handshake failed: \(error)"))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.ready.fail(
            self.state.failure
                ?? ClientError(.tlsHandshakeFailed, "the server closed the connection during the TLS handshake")
        )
        context.fireChannelInactive()
    }

    private func fail(context: ChannelHandlerContext, _ error: ClientError) {
        self.state.fail(error)
        self.ready.fail(error)
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension ClientConnectionSetupHandler: Sendable {}
