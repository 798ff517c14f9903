import Foundation
import GatehouseAuth
import GatehouseTransport
import HTTPTypes
import NIOCore

/// Why a bearer token was not accepted: a stable code for the log and the problem body, and a sentence for
/// `error_description` (RFC 6750 §3: printable ASCII without `"` or `\`).
public struct TokenProblem: Error, Sendable, Hashable, CustomStringConvertible {
    /// The code: `token_expired`, `token_binding_mismatch`, ….
    public let code: String
    /// One sentence for the client.
    public let message: String

    /// The request has no `Authorization: Bearer` credential.
    public static let missingToken = TokenProblem(code: "missing_token", message: "A bearer token is required")
    /// More than one `Authorization: Bearer` field: which one counts would be a guess (RFC 6750 §3.1
    /// `invalid_request`, 400).
    public static let multipleTokens = TokenProblem(
        code: "multiple_tokens",
        message: "The request carries more than one bearer token"
    )
    /// The token is longer than `maxTokenSize`.
    public static let tokenTooLarge = TokenProblem(code: "token_too_large", message: "The token is too large")
    /// Not a JWS compact serialisation, or its header or claims are not JSON objects.
    public static let malformedToken = TokenProblem(code: "malformed_token", message: "The token is not a valid JWT")
    /// The header's `alg` is not ES256 or RS256, or not the algorithm of the key `kid` names.
    public static let unsupportedAlgorithm = TokenProblem(
        code: "unsupported_algorithm",
        message: "The token is signed with an algorithm this server does not accept"
    )
    /// The header has a `crit` member: extensions this server does not understand (RFC 7515 §4.1.11).
    public static let unsupportedCritical = TokenProblem(
        code: "unsupported_critical_header",
        message: "The token names critical header extensions this server does not understand"
    )
    /// No `kid`, or one that is not in the JWKS.
    public static let unknownKey = TokenProblem(
        code: "unknown_key",
        message: "The token is signed with a key this server does not know"
    )
    /// The signature does not verify.
    public static let invalidSignature = TokenProblem(
        code: "invalid_signature",
        message: "The token signature is not valid"
    )
    /// `iss` is not the configured issuer.
    public static let wrongIssuer = TokenProblem(code: "wrong_issuer", message: "The token is from another issuer")
    /// `aud` names none of the configured audiences.
    public static let wrongAudience = TokenProblem(
        code: "wrong_audience",
        message: "The token is meant for another audience"
    )
    /// `exp` (plus the leeway) has passed.
    public static let tokenExpired = TokenProblem(code: "token_expired", message: "The token has expired")
    /// `nbf` (minus the leeway) is still ahead.
    public static let tokenNotYetValid = TokenProblem(
        code: "token_not_yet_valid",
        message: "The token is not valid yet"
    )
    /// No `cnf` with `x5t#S256`: the token is not bound to a certificate.
    public static let tokenNotBound = TokenProblem(
        code: "token_not_bound",
        message: "The token is not bound to a client certificate (cnf x5t#S256)"
    )
    /// The connection has no client certificate to compare the binding with.
    public static let noClientCertificate = TokenProblem(
        code: "no_client_certificate",
        message: "The token is bound to a client certificate and none was presented"
    )
    /// `cnf.x5t#S256` is another certificate's thumbprint.
    public static let bindingMismatch = TokenProblem(
        code: "token_binding_mismatch",
        message: "The token is bound to another client certificate"
    )

    /// A required claim is missing or has the wrong type.
    public static func missingClaim(_ name: String) -> TokenProblem {
        TokenProblem(code: "missing_claim", message: "The token has no valid \(name) claim")
    }

    /// The code and the message.
    public var description: String { "\(self.code): \(self.message)" }

    /// The response for this problem (RFC 6750 §3.1): 401 `WWW-Authenticate: Bearer` when the request had no token,
    /// 400 with `error="invalid_request"` for several, else 401 with `error="invalid_token"`; each with the message
    /// as `error_description` and an `application/problem+json` body whose `reason` is ``code``.
    func refusal() -> AuthenticationRefusal {
        var challenge = "Bearer"
        var status = 401
        var title = "Unauthorized"
        if self == .multipleTokens {
            (status, title) = (400, "Invalid request")
            challenge += #" error="invalid_request", error_description="\#(self.message)""#
        } else if self != .missingToken {
            title = "Invalid token"
            challenge += #" error="invalid_token", error_description="\#(self.message)""#
        }
        let body = TokenProblemBody(title: title, status: status, detail: self.message, reason: self.code)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = (try? encoder.encode(body)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        let response = Response(
            status: HTTPResponse.Status(code: status, reasonPhrase: title),
            headerFields: [.contentType: "application/problem+json", .wwwAuthenticate: challenge],
            body: ByteBuffer(string: json)
        )
        return AuthenticationRefusal(reason: self.code, response: response)
    }
}

/// An RFC 9457 problem body with the refusal's code as the extension member `reason`.
private struct TokenProblemBody: Encodable {
    var type = "about:blank"
    let title: String
    let status: Int
    let detail: String
    let reason: String
}
