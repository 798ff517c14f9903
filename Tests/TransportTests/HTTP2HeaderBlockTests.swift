import CNghttp2
import HTTPTypes
import Testing

@testable import GatehouseTransport

@Suite("HTTP2HeaderBlock and HTTP2RequestHeadBuilder")
struct HTTP2HeaderBlockTests {
    /// The block as nghttp2 receives it: (name, value bytes) in order.
    private func pairs(_ block: HTTP2HeaderBlock) -> [(name: String, value: [UInt8])] {
        block.withNameValuePairs { nva in
            nva.map { field in
                let name = String(decoding: UnsafeBufferPointer(start: field.name, count: field.namelen), as: UTF8.self)
                return (name, Array(UnsafeBufferPointer(start: field.value, count: field.valuelen)))
            }
        }
    }

    @Test func responseBlockHasStatusFirstAndAddsContentLength() {
        let head = HTTPResponse(status: .notFound, headerFields: [.contentType: "text/plain", .server: "gatehouse"])
        let pairs = self.pairs(HTTP2HeaderBlock(response: head, bodyLength: 12_345))
        #expect(pairs.map(\.name) == [":status", "content-type", "server", "content-length", "date"])
        let values = pairs.map { String(decoding: $0.value, as: UTF8.self) }
        #expect(values.dropLast() == ["404", "text/plain", "gatehouse", "12345"])
        #expect(values.last?.count == 29 && values.last?.hasSuffix(" GMT") == true)
    }

    @Test func responseBlockKeepsItsOwnContentLengthAndOmitsItFor204() {
        let own = HTTPResponse(status: .ok, headerFields: [.contentLength: "7"])
        #expect(
            self.pairs(HTTP2HeaderBlock(response: own, bodyLength: 0)).map(\.name) == [
                ":status", "content-length", "date",
            ]
        )
        let noContent = HTTPResponse(status: .noContent)
        #expect(self.pairs(HTTP2HeaderBlock(response: noContent, bodyLength: 0)).map(\.name) == [":status", "date"])
    }

    @Test func connectionSpecificFieldsAreDroppedAndTrailersTEIsKept() {
        var fields: HTTPFields = [.connection: "close", .transferEncoding: "chunked", .upgrade: "h2c", .te: "trailers"]
        fields[HTTPField.Name("Proxy-Connection")!] = "close"
        fields[HTTPField.Name("Keep-Alive")!] = "timeout=5"
        fields[HTTPField.Name("Host")!] = "example.com"
        fields[.accept] = "*/*"
        let block = HTTP2HeaderBlock(response: HTTPResponse(status: .ok, headerFields: fields), bodyLength: 1)
        let pairs = self.pairs(block)
        #expect(pairs.map(\.name) == [":status", "te", "accept", "content-length", "date"])
        var gzip = HTTPFields()
        gzip[.te] = "gzip"
        let withoutTE = self.pairs(
            HTTP2HeaderBlock(response: HTTPResponse(status: .ok, headerFields: gzip), bodyLength: 1)
        )
        #expect(withoutTE.map(\.name) == [":status", "content-length", "date"])
    }

    @Test(arguments: [(fields: 40, valueSize: 4), (fields: 2, valueSize: 5000)])
    func largeBlocksAreLaidOutWhole(fields count: Int, valueSize: Int) {
        let value = String(repeating: "v", count: valueSize)
        var fields = HTTPFields()
        for index in 0..<count { fields.append(HTTPField(name: HTTPField.Name("x-field-\(index)")!, value: value)) }
        let block = HTTP2HeaderBlock(response: HTTPResponse(status: .ok, headerFields: fields), bodyLength: 3)
        let pairs = self.pairs(block)
        #expect(pairs.count == count + 3)
        let fieldPairs = pairs.dropFirst().dropLast(2)
        #expect(fieldPairs.map(\.name) == (0..<count).map { "x-field-\($0)" })
        #expect(fieldPairs.allSatisfy { $0.value == Array(value.utf8) })
        #expect(pairs.dropLast().last.map { String(decoding: $0.value, as: UTF8.self) } == "3")
        #expect(pairs.last?.name == "date")
    }

    @Test func responseBlockKeepsItsOwnDate() {
        let head = HTTPResponse(status: .ok, headerFields: [HTTPField.Name("Date")!: "Sun, 06 Nov 1994 08:49:37 GMT"])
        let pairs = self.pairs(HTTP2HeaderBlock(response: head, bodyLength: 0))
        #expect(pairs.filter { $0.name == "date" }.map(\.value) == [Array("Sun, 06 Nov 1994 08:49:37 GMT".utf8)])
    }

    @Test func requestBlockHasPseudoHeadersInOrder() {
        let head = HTTPRequest(method: .post, scheme: "https", authority: "a.example", path: "/upload?x=1")
        let pairs = self.pairs(HTTP2HeaderBlock(request: head, bodyLength: 0))
        #expect(pairs.map(\.name) == [":method", ":scheme", ":authority", ":path", "content-length"])
        let values = pairs.map { String(decoding: $0.value, as: UTF8.self) }
        #expect(values == ["POST", "https", "a.example", "/upload?x=1", "0"])
    }

    @Test func commonFieldNamesAreTheParsedNames() {
        let common = [
            "accept", "accept-encoding", "accept-language", "authorization", "cache-control", "content-length",
            "content-type", "cookie", "if-none-match", "origin", "referer", "user-agent",
        ]
        for name in common + ["x-custom", "acceptx", "user-agenT", ""] {
            let found = Array(name.utf8).withUnsafeBufferPointer { HTTP2FieldNames.common($0) }
            #expect(found?.rawName == (common.contains(name) ? name : nil))
            #expect(found?.canonicalName == (common.contains(name) ? name : nil))
        }
    }

    @Test func obsTextSurvivesTheRoundTripAsBytes() throws {
        let value: [UInt8] = [0x63, 0x61, 0x66, 0xE9]  // "caf\u{E9}" in Latin-1: not UTF-8
        var builder = HTTP2RequestHeadBuilder(maxHeaderListSize: 1024)
        for (name, bytes) in [
            (":method", Array("GET".utf8)), (":scheme", Array("https".utf8)),
            (":path", Array("/".utf8)), ("x-name", value),
        ] {
            Array(name.utf8).withUnsafeBufferPointer { name in
                bytes.withUnsafeBufferPointer { builder.append(name: name, value: $0) }
            }
        }
        let request = try #require(builder.build())
        let field = try #require(request.headerFields.first)
        #expect(field.withUnsafeBytesOfValue { Array($0) } == value)
        let echoed = HTTPResponse(status: .ok, headerFields: request.headerFields)
        let pairs = self.pairs(HTTP2HeaderBlock(response: echoed, bodyLength: 0))
        #expect(pairs.first { $0.name == "x-name" }?.value == value)
    }

    /// RFC 9113 §8.3.1: `:authority` is a host and optional port, never userinfo; a malformed one makes the request
    /// malformed (a stream error), as an invalid `Host` is a 400 on HTTP/1.1.
    @Test(arguments: [
        ("localhost:8443", true), ("[::1]:443", true), ("127.0.0.1", true),
        ("user@localhost", false), ("a b", false), ("localhost:abc", false), ("", false),
    ])
    func authorityIsValidatedLikeHost(authority: String, valid: Bool) {
        var builder = HTTP2RequestHeadBuilder(maxHeaderListSize: 1024)
        for (name, value) in [(":method", "GET"), (":scheme", "https"), (":authority", authority), (":path", "/")] {
            Array(name.utf8).withUnsafeBufferPointer { name in
                Array(value.utf8).withUnsafeBufferPointer { builder.append(name: name, value: $0) }
            }
        }
        #expect((builder.build() != nil) == valid)
    }
}
