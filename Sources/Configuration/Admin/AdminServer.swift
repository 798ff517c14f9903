import GatehouseTransport
import Logging
import Metrics

extension AdminConfiguration {
    /// The server of the admin listener: plain HTTP/1.1 without ``tls``, else a TLS listener (HTTP/1.1) named
    /// `admin`. It records no connection metrics of its own.
    func server(responder: any Responder, shutdownGracePeriod: Duration, logger: Logger) -> Server {
        guard let tls = self.tls else {
            return Server(
                plaintext: PlaintextListenerConfiguration(
                    name: "admin",
                    host: self.host,
                    port: self.port,
                    limits: self.limits
                ),
                responder: responder,
                logger: logger,
                shutdownGracePeriod: shutdownGracePeriod
            )
        }
        let listener = ListenerConfiguration(
            name: "admin",
            host: self.host,
            port: self.port,
            tls: tls,
            limits: self.limits
        )
        return Server(
            configuration: ServerConfiguration(listeners: [listener], shutdownGracePeriod: shutdownGracePeriod),
            responder: responder,
            logger: logger,
            metricsFactory: NOOPMetricsHandler.instance
        )
    }
}
