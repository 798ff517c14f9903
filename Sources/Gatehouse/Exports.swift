// The one module a service imports: every layer a service is written against, and the two types from swift-log and
// swift-service-lifecycle that running a server takes (a `Logger`, a `ServiceGroup`), and swift-http-types (header
// names, statuses and methods appear in requests and responses).

@_exported public import GatehouseAuth
@_exported public import GatehouseCertificates
@_exported public import GatehouseClient
@_exported public import GatehouseConfiguration
@_exported public import GatehouseFunctions
@_exported public import GatehouseRouting
@_exported public import GatehouseTransport
@_exported public import HTTPTypes
@_exported public import struct Logging.Logger
@_exported public import class ServiceLifecycle.ServiceGroup
