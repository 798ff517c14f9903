// The one module a service imports: every layer a service is written against, swift-http-types (whose methods,
// statuses and header fields appear in `Request` and `Response`), and the two types from swift-log and
// swift-service-lifecycle that running a server takes (a `Logger`, a `ServiceGroup`). Certificate minting
// (GatehouseCertificateAuthority) and GatehouseTesting are imported on their own by the tools and tests that need them.

@_exported public import GatehouseAuth
@_exported public import GatehouseBoundToken
@_exported public import GatehouseCertificates
@_exported public import GatehouseClient
@_exported public import GatehouseConfiguration
@_exported public import GatehouseFunctions
@_exported public import GatehouseGateway
@_exported public import GatehouseRouting
@_exported public import GatehouseTransport
@_exported public import HTTPTypes

@_exported public import struct Logging.Logger
@_exported public import class ServiceLifecycle.ServiceGroup
