public import Foundation
import JWTKit

/// The public keys of one JWKS file, checked when read: each has a unique `kid` and is an ES256 (EC P-256) or RS256
/// (RSA) public key.
///
/// Verification goes through jwt-kit's `JWTKeyCollection`; the set itself decides which `kid` and `alg` a token may
/// name, because the collection would fall back to its default key for an unknown `kid`, and would take the
/// algorithm from the token's header for a key without `alg`.
public final class TokenKeySet: Sendable {
    /// One usable key.
    public struct Key: Sendable, Hashable {
        /// Its `kid`.
        public let id: String
        /// `ES256` or `RS256`.
        public let algorithm: String
    }

    /// The keys in file order.
    public let keys: [Key]
    private let algorithms: [String: String]
    /// The collection, filled once: `JWTKeyCollection` is an actor, so adding keys is asynchronous and cannot happen
    /// while a configuration is assembled. The task ends on its own right away; nothing needs to cancel it.
    private let collection: Task<JWTKeyCollection, any Error>

    /// The largest JWKS file read.
    static let maxFileSize = 1 << 20

    /// Reads and checks the JWKS file at `path`.
    /// - Throws: ``BoundTokenError`` (key `jwks`) naming the file and what is wrong.
    public convenience init(file path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw BoundTokenError(key: "jwks", detail: "cannot read \(path)")
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: Self.maxFileSize + 1) ?? Data()
        } catch {
            throw BoundTokenError(key: "jwks", detail: "cannot read \(path): \(error)")
        }
        guard data.count <= Self.maxFileSize else {
            throw BoundTokenError(key: "jwks", detail: "\(path) is larger than 1 MiB")
        }
        try self.init(json: data, source: path)
    }

    /// Checks the JWKS document `json`; `source` names it in errors.
    /// - Throws: ``BoundTokenError`` (key `jwks`).
    public init(json: Data, source: String) throws {
        let jwks: JWKS
        do {
            jwks = try JSONDecoder().decode(JWKS.self, from: json)
        } catch {
            throw BoundTokenError(key: "jwks", detail: "\(source) is not a JWKS with keys of kty EC or RSA: \(error)")
        }
        guard !jwks.keys.isEmpty else { throw BoundTokenError(key: "jwks", detail: "\(source) holds no keys") }
        var keys: [Key] = []
        var checked: [JWK] = []
        for (index, jwk) in jwks.keys.enumerated() {
            var jwk = jwk
            let key = try Self.check(&jwk, at: "\(source): keys[\(index)]")
            if keys.contains(where: { $0.id == key.id }) {
                throw BoundTokenError(key: "jwks", detail: "\(source): keys[\(index)]: kid '\(key.id)' is used twice")
            }
            keys.append(key)
            checked.append(jwk)
        }
        self.keys = keys
        self.algorithms = Dictionary(uniqueKeysWithValues: keys.map { ($0.id, $0.algorithm) })
        let verified = JWKS(keys: checked)
        self.collection = Task {
            let collection = JWTKeyCollection()
            try await collection.add(jwks: verified)
            return collection
        }
    }

    /// The algorithm of the key `kid`, or `nil` when the set has no such key.
    func algorithm(ofKey kid: String) -> String? { self.algorithms[kid] }

    /// Verifies `token`'s signature with the key its header names (checked by the caller against ``algorithm(ofKey:)``)
    /// and decodes its payload.
    func verify<Payload: JWTPayload>(_ token: String, as type: Payload.Type) async throws -> Payload {
        let collection = try await self.collection.value
        return try await collection.verify(token, as: type)
    }

    /// Checks one key and pins its algorithm (`alg` set, so the token's header cannot choose another).
    private static func check(_ jwk: inout JWK, at location: String) throws -> Key {
        guard let kid = jwk.keyIdentifier?.string, !kid.isEmpty else {
            throw BoundTokenError(key: "jwks", detail: "\(location): no kid; every key needs one")
        }
        let here = "\(location) (kid '\(kid)')"
        guard jwk.privateExponent == nil else {
            throw BoundTokenError(key: "jwks", detail: "\(here): holds a private key ('d'); give only public keys")
        }
        let algorithm: JWK.Algorithm
        do {
            switch jwk.keyType {
            case .ecdsa:
                guard jwk.curve == .ecdsa(.p256), jwk.algorithm == nil || jwk.algorithm == .es256 else {
                    throw BoundTokenError(
                        key: "jwks",
                        detail: "\(here): an EC key must be on curve P-256 for ES256"
                            + " (crv \(jwk.curve?.rawValue ?? "missing"), alg \(jwk.algorithm?.rawValue ?? "none"))"
                    )
                }
                guard let x = jwk.x, let y = jwk.y else {
                    throw BoundTokenError(key: "jwks", detail: "\(here): an EC key needs x and y")
                }
                _ = try ES256PublicKey(parameters: (x: x, y: y))
                algorithm = .es256
            case .rsa:
                guard jwk.algorithm == nil || jwk.algorithm == .rs256 else {
                    throw BoundTokenError(
                        key: "jwks",
                        detail: "\(here): alg \(jwk.algorithm?.rawValue ?? "") is not supported (ES256, RS256)"
                    )
                }
                guard let modulus = jwk.modulus, let exponent = jwk.exponent else {
                    throw BoundTokenError(key: "jwks", detail: "\(here): an RSA key needs n and e")
                }
                _ = try Insecure.RSA.PublicKey(modulus: modulus, exponent: exponent)
                algorithm = .rs256
            default:
                throw BoundTokenError(
                    key: "jwks",
                    detail: "\(here): kty \(jwk.keyType.rawValue) is not supported (EC for ES256, RSA for RS256)"
                )
            }
        } catch let error as BoundTokenError {
            throw error
        } catch {
            throw BoundTokenError(key: "jwks", detail: "\(here): not a usable public key: \(error)")
        }
        jwk.algorithm = algorithm
        return Key(id: kid, algorithm: algorithm.rawValue)
    }
}
