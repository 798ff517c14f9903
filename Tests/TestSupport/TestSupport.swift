// Shared test helpers: the throwaway PKI, the test server and client (product GatehouseTesting), and the raw
// TLS and HTTP/2 clients that only this repository's own tests need.
@_exported public import GatehouseTesting
