import GatehouseTransport
import HTTPTypes
import Testing

@testable import GatehouseConfiguration

/// The access log's integer fields (`status`, `bytes`), written digit by digit.
@Suite struct AccessLogLineTests {
    @Test(arguments: [0, 7, 9, 10, 99, 100, 404, 1_000, 65_535, 1_234_567, -1, -42, Int.max, Int.min])
    func integersAreWrittenAsSwiftPrintsThem(_ value: Int) {
        var out: [UInt8] = Array("x".utf8)
        AccessLogLine.appendInteger(value, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "x\(value)")
    }
}

/// A connection's line parts are encoded once and kept by connection: never another connection's, even with the same
/// id (a record made by hand), nor another format's or listener's.
@Suite struct AccessLogConnectionCacheTests {
    static func record(id: UInt64, tlsVersion: String, listener: String = "public") -> RequestRecord {
        let tls = TLSSessionInfo(
            protocolVersion: tlsVersion,
            cipher: "TLS_AES_128_GCM_SHA256",
            alpn: "h2",
            peerCertificates: [],
            verifyResult: nil,
            isResumed: false
        )
        return RequestRecord(
            listener: listener,
            connection: ConnectionInfo(id: id, remoteAddress: nil, localAddress: nil, httpVersion: .http2, tls: tls),
            method: .get,
            path: "/",
            route: "",
            status: 200,
            bodyBytes: 0,
            duration: .zero,
            policy: nil,
            decision: .none,
            reason: nil
        )
    }

    static func text(_ parts: AccessLogLine.ConnectionParts) -> String {
        String(decoding: parts.leading + parts.middle, as: UTF8.self)
    }

    @Test func eachConnectionGetsItsOwnParts() {
        var cache = AccessLogConnectionCache()
        let first = Self.record(id: 1, tlsVersion: "TLSv1.3")
        #expect(Self.text(cache.parts(for: first, format: .json)).contains(#""tls_version":"TLSv1.3""#))
        var again = first
        again.status = 404
        #expect(
            Self.text(cache.parts(for: again, format: .json))
                == Self.text(AccessLogLine.connectionParts(first, format: .json))
        )
        let sameID = Self.record(id: 1, tlsVersion: "TLSv1.2")
        #expect(Self.text(cache.parts(for: sameID, format: .json)).contains(#""tls_version":"TLSv1.2""#))
        let sameSlot = Self.record(id: 1 + UInt64(AccessLogConnectionCache.slotCount), tlsVersion: "TLSv1.3")
        #expect(Self.text(cache.parts(for: sameSlot, format: .json)).contains(#""tls_version":"TLSv1.3""#))
        #expect(Self.text(cache.parts(for: sameSlot, format: .text)).contains(" tls_version=TLSv1.3 "))
        var otherListener = sameSlot
        otherListener.listener = "internal"
        #expect(Self.text(cache.parts(for: otherListener, format: .text)).contains(#" listener="internal" "#))
    }
}
