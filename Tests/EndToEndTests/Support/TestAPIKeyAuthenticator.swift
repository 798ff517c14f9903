import GatehouseAuth
import GatehouseTransport
import HTTPTypes

/// An API key in a header (`X-API-Key` by default), as the library example writes one: 401 with
/// `WWW-Authenticate: ApiKey` without it.
struct TestAPIKeyAuthenticator: Authenticator {
    struct Caller: Sendable { let name: String }
    let key: String
    var header = HTTPField.Name("X-API-Key")!

    func authenticate(_ request: Request, context: RequestContext) async throws -> AuthenticationResult<Caller> {
        guard let presented = request.head.headerFields[self.header] else {
            return .notApplicable(challenge: .unauthorized(challenge: "ApiKey", reason: "missing_api_key"))
        }
        guard presented == self.key else {
            return .refused(.unauthorized(challenge: "ApiKey", reason: "invalid_api_key"))
        }
        return .authenticated(Caller(name: self.header.canonicalName))
    }
}
