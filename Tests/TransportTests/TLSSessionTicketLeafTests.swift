import COpenSSL
import Foundation
import GatehouseCertificates
import NIOCore
import TestSupport
import Testing

@testable import GatehouseTransport

/// A TLS 1.3 ticket carries the verified client's leaf in Gatehouse's binding (by digest, and by DER for another
/// process), not in OpenSSL's session: the server's session drops its peer before the ticket is sealed, and every
/// fact of the connection comes from its verified entry.
@Suite struct TLSSessionTicketLeafTests {
    /// The server's session (its `SSL_SESSION`'s peer certificate) after the handshake on `pair`.
    static func serverSessionPeer(_ pair: TLSChannelPair) throws -> OpaquePointer? {
        try pair.serverConnection().withUnsafeSSL { ssl in SSL_get_session(ssl).flatMap { SSL_SESSION_get0_peer($0) } }
    }

    /// The session's DER encoding.
    static func encoding(of session: OpaquePointer) -> [UInt8] {
        var der = [UInt8](repeating: 0, count: Int(i2d_SSL_SESSION(session, nil)))
        der.withUnsafeMutableBufferPointer { buffer in
            var cursor = buffer.baseAddress
            _ = i2d_SSL_SESSION(session, &cursor)
        }
        return der
    }

    @Test(arguments: [TLSVersion.v1_2, .v1_3])
    func aTLS13ServerSessionKeepsNoPeerAndTheConnectionKeepsItsFacts(version: TLSVersion) throws {
        let pki = try TestPKI.shared()
        let server = try TLSFixtures.server(version: version)
        let client = try TLSFixtures.client(version: version)
        let first = try TLSChannelPair(server: server, client: client)
        defer { first.finish() }
        try first.shuttle()
        try first.send("ping", from: first.client)
        let info = try #require(first.serverRecorder.handshake)
        #expect(info.protocolVersion == (version == .v1_3 ? "TLSv1.3" : "TLSv1.2"))
        #expect(!info.cipher.isEmpty && (version == .v1_2 || info.cipher == "TLS_AES_128_GCM_SHA256"))
        #expect(info.alpn == "h2")
        #expect(info.peerCertificates == pki.client.chain && info.verifyResult == .ok)
        // TLS 1.3: the ticket's session, and the connection's, have no peer; TLS 1.2 keeps OpenSSL's.
        let firstPeer = try Self.serverSessionPeer(first)
        #expect((firstPeer == nil) == (version == .v1_3))
        // Nor does it keep the ticket's binding once the ticket is sealed.
        try first.serverConnection().withUnsafeSSL { ssl in
            var data: UnsafeMutableRawPointer? = nil
            var length = 1
            #expect(SSL_SESSION_get0_ticket_appdata(SSL_get_session(ssl), &data, &length) == 1 && length == 0)
        }
        #expect(String(buffer: first.serverRecorder.received) == "ping")

        let session = try first.clientSession()
        defer { SSL_SESSION_free(session) }
        let resumed = try TLSChannelPair(server: server, client: client, offering: session)
        defer { resumed.finish() }
        try resumed.shuttle()
        try resumed.send("pong", from: resumed.client)
        let again = try #require(resumed.serverRecorder.handshake)
        #expect(again.isResumed && again.protocolVersion == info.protocolVersion && again.cipher == info.cipher)
        #expect(again.alpn == "h2")
        #expect(again.peerCertificates == pki.client.chain && again.verifyResult == .ok)
        #expect(again.verifiedChain?.leafDigest == info.verifiedChain?.leafDigest)
        let resumedPeer = try Self.serverSessionPeer(resumed)
        #expect((resumedPeer == nil) == (version == .v1_3))
        #expect(String(buffer: resumed.serverRecorder.received) == "pong")
    }

    @Test func droppingThePeerKeepsEveryOtherFieldOfTheSession() throws {
        let pki = try TestPKI.shared()
        // A TLS 1.2 server session keeps its peer.
        let pair = try TLSChannelPair(
            server: try TLSFixtures.server(version: .v1_2),
            client: try TLSFixtures.client(version: .v1_2)
        )
        defer { pair.finish() }
        try pair.shuttle()
        let original = try #require(try pair.serverConnection().withUnsafeSSL { SSL_get1_session($0) })
        defer { SSL_SESSION_free(original) }
        #expect(SSL_SESSION_get0_peer(original) != nil)
        let copy = try #require(SSL_SESSION_dup(original))
        defer { SSL_SESSION_free(copy) }

        #expect(SessionEncoding.dropPeer(of: copy) == .dropped)
        #expect(SSL_SESSION_get0_peer(copy) == nil)
        // Every field of the encoding but the peer is the original's: the master key, times, verify result, ALPN,
        // ticket appdata, cipher, version, session id and its context.
        let full = Self.encoding(of: original)
        let edited = try #require(SessionEncoding.removingPeer(from: full))
        #expect(Self.encoding(of: copy) == edited)
        #expect(edited.count <= full.count - pki.client.certificate.derBytes.count)
        var (originalKey, copyKey) = ([UInt8](repeating: 0, count: 48), [UInt8](repeating: 0, count: 48))
        #expect(
            SSL_SESSION_get_master_key(original, &originalKey, 48) == SSL_SESSION_get_master_key(copy, &copyKey, 48)
        )
        #expect(originalKey == copyKey)
        #expect(SSL_SESSION_get_timeout(copy) == SSL_SESSION_get_timeout(original))
        #expect(SSL_SESSION_get0_cipher(copy) == SSL_SESSION_get0_cipher(original))
        #expect(SessionEncoding.dropPeer(of: copy) == .kept)  // nothing left to drop
    }

    @Test func anEncodingThatIsNotASessionsIsLeftAlone() {
        #expect(SessionEncoding.removingPeer(from: []) == nil)
        #expect(SessionEncoding.removingPeer(from: [0x30, 0x03, 0x02, 0x01, 0x01]) == nil)  // no peer
        #expect(SessionEncoding.removingPeer(from: [0x30, 0x04, 0xA3, 0x03, 0x02, 0x01]) == nil)  // cut short
        #expect(SessionEncoding.removingPeer(from: [0x30, 0x04, 0xA3, 0x02, 0x05, 0x00, 0x00]) == nil)  // trailing
        #expect(SessionEncoding.removingPeer(from: [0x31, 0x02, 0xA3, 0x00]) == nil)  // not a SEQUENCE
        #expect(
            SessionEncoding.removingPeer(from: [0x30, 0x05, 0x02, 0x01, 0x01, 0xA3, 0x00]) == [
                0x30, 0x03, 0x02, 0x01, 0x01,
            ]
        )
        // Long-form lengths, the outer one shrinking from two bytes to one.
        let integer: [UInt8] = [0x04, 0x81, 0x80] + [UInt8](repeating: 9, count: 128)
        let peer: [UInt8] = [0xA3, 0x82, 0x01, 0x00] + [UInt8](repeating: 7, count: 256)
        let der: [UInt8] = [0x30, 0x82, 0x01, 0x87] + integer + peer
        #expect(SessionEncoding.removingPeer(from: der) == [0x30, 0x81, 0x83] + integer)
    }

    @Test func aBindingCarriesItsLeafUpToALimitAndOtherLayoutsAreRefused() throws {
        let pki = try TestPKI.shared()
        let digest = try #require(SHA256Digest(bytes: pki.client.certificate.sha256))
        let material = [UInt8](repeating: 7, count: 32)
        let leaf = pki.client.certificate.derBytes
        func decoded(_ bytes: [UInt8]) -> TicketBinding? { bytes.withUnsafeBytes { TicketBinding($0) } }

        let binding = TicketBinding(mode: .require, material: material, verifiedLeaf: digest, leafDER: leaf)
        #expect(decoded(binding.encoded) == binding)
        #expect(decoded(binding.encoded)?.leafDER == leaf)
        let anonymous = TicketBinding(mode: .request, material: [], verifiedLeaf: nil, leafDER: leaf)
        #expect(anonymous.leafDER.isEmpty && decoded(anonymous.encoded) == anonymous)
        // A leaf over the limit is not carried: the ticket resumes only where its entry is cached.
        let large = [UInt8](repeating: 1, count: TicketBinding.maxCarriedLeafBytes + 1)
        let uncarried = TicketBinding(mode: .require, material: material, verifiedLeaf: digest, leafDER: large)
        #expect(uncarried.leafDER.isEmpty && decoded(uncarried.encoded) == uncarried)

        var otherVersion = binding.encoded
        otherVersion[0] = 1
        #expect(decoded(otherVersion) == nil)
        #expect(decoded(Array(binding.encoded.dropLast())) == nil)
        #expect(decoded(binding.encoded + [0]) == nil)
    }

    @Test(arguments: [TLSVersion.v1_2, .v1_3])
    func aTicketWhoseLeafIsNotTheOneItsDigestNamesResumesOnlyWhereTheDigestIsCached(version: TLSVersion) throws {
        let keys = try TLSSessionTicketTests.keyFile([TLSSessionTicketTests.randomKey()])
        let client = try TLSFixtures.client(version: version)
        for seal in [sealWithAnotherLeaf, sealWithoutLeaf] {
            let first = try TLSSessionTicketTests.server(keyFile: keys, version: version)
            let other = try TLSSessionTicketTests.server(keyFile: keys, version: version)
            first.withUnsafeContext { context in
                _ = SSL_CTX_set_session_ticket_cb(
                    context,
                    seal,
                    ticketOpened,
                    Unmanaged.passUnretained(first).toOpaque()
                )
            }
            let session = try TLSSessionTicketTests.session(from: first, client: client)
            defer { SSL_SESSION_free(session) }
            // The other process would have to parse the leaf: it is not the verified one, or not there.
            let elsewhere = try TLSSessionTicketTests.resume(session, on: other, client: client)
            #expect(!elsewhere.isResumed && elsewhere.verifyResult == .ok)
            // The process that verified the leaf finds it by digest and reads nothing else.
            #expect(try TLSSessionTicketTests.resume(session, on: first, client: client).isResumed)
        }
    }
}

/// Rewrites the binding the server just wrote into the session with `change`.
private func rewriteBinding(_ ssl: OpaquePointer?, _ change: (inout TicketBinding) -> Void) -> Int32 {
    guard let ssl, let session = SSL_get_session(ssl) else { return 0 }
    var data: UnsafeMutableRawPointer? = nil
    var length = 0
    guard SSL_SESSION_get0_ticket_appdata(session, &data, &length) == 1, let data,
        var binding = TicketBinding(UnsafeRawBufferPointer(start: data, count: length))
    else { return 0 }
    change(&binding)
    let bytes = binding.encoded
    return SSL_SESSION_set1_ticket_appdata(session, bytes, bytes.count)
}

/// Seals as the server does, then puts another client's leaf in the binding (its digest still the verified one's).
private let sealWithAnotherLeaf: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?) -> Int32 = {
    ssl,
    argument in
    guard ticketGenerated(ssl, argument) == 1, let other = try? TestPKI.shared().rootClient.certificate else {
        return 0
    }
    return rewriteBinding(ssl) { $0.leafDER = other.derBytes }
}

/// Seals as the server does, then leaves the leaf out of the binding (as for a leaf over the limit).
private let sealWithoutLeaf: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?) -> Int32 = { ssl, argument in
    guard ticketGenerated(ssl, argument) == 1 else { return 0 }
    return rewriteBinding(ssl) { $0.leafDER = [] }
}
