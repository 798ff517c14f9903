import CNghttp2
import HTTPTypes
import NIOCore
import NIOEmbedded
import Testing

@testable import GatehouseTransport

@Suite("HTTP2ServerHandler")
struct HTTP2ServerHandlerTests {
    @Test func getIsAnsweredWithBodyAndContentLength() throws {
        let connection = try HTTP2TestConnection()
        let stream = connection.client.request(path: "/api/hello")
        try connection.exchange()
        let response = try #require(connection.client.responses[stream])
        #expect(response.status == 200)
        #expect(response.bodyText == "/api/hello")
        #expect(response.header("content-length") == "10")
        #expect(response.isComplete)
        let request = try #require(connection.dispatcher.requests.first?.request)
        #expect(request.method == .get)
        #expect(request.head.scheme == "https")
        #expect(request.head.authority == "localhost")
        #expect(request.path == "/api/hello")
    }

    @Test func headResponseHasNoBody() throws {
        let connection = try HTTP2TestConnection()
        let stream = connection.client.request(method: "HEAD", path: "/four")
        try connection.exchange()
        let response = try #require(connection.client.responses[stream])
        #expect(response.status == 200)
        #expect(response.body.isEmpty)
        #expect(response.header("content-length") == "5")
        #expect(response.isComplete)
    }

    @Test func postBodyIsEchoed() throws {
        let connection = try HTTP2TestConnection()
        let body = Array("name=gatehouse".utf8)
        let stream = connection.client.request(method: "POST", path: "/echo", body: body)
        try connection.exchange()
        let response = try #require(connection.client.responses[stream])
        #expect(response.status == 200)
        #expect(response.body == body)
        #expect(connection.dispatcher.requests.first?.request.body.readableBytes == body.count)
    }

    @Test func connectionSpecificResponseFieldsAreDropped() throws {
        let connection = try HTTP2TestConnection(mode: .hold)
        let stream = connection.client.request(path: "/")
        try connection.exchange()
        var fields: HTTPFields = [.connection: "close", .transferEncoding: "chunked", .contentType: "text/plain"]
        fields[HTTPField.Name("Keep-Alive")!] = "timeout=5"
        connection.dispatcher.answer(StreamID(stream), with: Response(status: .noContent, headerFields: fields))
        try connection.exchange()
        let response = try #require(connection.client.responses[stream])
        #expect(response.status == 204)
        #expect(response.headers.map(\.name) == ["content-type", "date"])
        #expect(response.header("date")?.hasSuffix(" GMT") == true)
        #expect(response.isComplete)
    }

    @Test func hundredConcurrentStreamsAnsweredInReverseOrder() throws {
        let connection = try HTTP2TestConnection(mode: .hold)
        let streams = (0..<100).map { connection.client.request(path: "/item/\($0)") }
        try connection.exchange()
        #expect(connection.dispatcher.requests.count == 100)
        for (index, stream) in streams.enumerated().reversed() {
            connection.dispatcher.answer(StreamID(stream), with: .text("item \(index)"))
        }
        try connection.exchange()
        for (index, stream) in streams.enumerated() {
            let response = connection.client.responses[stream]
            #expect(response?.status == 200)
            #expect(response?.bodyText == "item \(index)")
            #expect(response?.isComplete == true)
        }
        #expect(connection.dispatcher.cancelled.isEmpty)
    }

    @Test func fiveMebibyteUploadFlowsPastTheInitialWindow() throws {
        var limits = ConnectionLimits()
        limits.maxBodySize = 8 * 1024 * 1024
        let connection = try HTTP2TestConnection(limits: limits)
        let body = (0..<(5 * 1024 * 1024)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let stream = connection.client.request(method: "PUT", path: "/upload", body: body)
        try connection.exchange()
        let response = try #require(connection.client.responses[stream])
        #expect(response.status == 200)
        #expect(response.body.count == body.count)
        #expect(response.body == body)
    }

    @Test func fiveMebibyteDownloadWaitsForClientWindowUpdates() throws {
        let connection = try HTTP2TestConnection(mode: .hold)
        let stream = connection.client.request(path: "/download")
        try connection.exchange()
        let body = (0..<(5 * 1024 * 1024)).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        connection.dispatcher.answer(StreamID(stream), with: Response(status: .ok, body: ByteBuffer(bytes: body)))
        try connection.exchange()
        let response = try #require(connection.client.responses[stream])
        #expect(response.status == 200)
        #expect(response.header("content-length") == String(body.count))
        #expect(response.body == body)
        #expect(response.isComplete)
    }

    @Test func bodyOverTheLimitGets413WithoutDispatch() throws {
        var limits = ConnectionLimits()
        limits.maxBodySize = 64 * 1024
        let connection = try HTTP2TestConnection(limits: limits)
        let body = [UInt8](repeating: 0x61, count: 200_000)
        let stream = connection.client.request(method: "POST", path: "/big", body: body)
        try connection.exchange()
        let response = try #require(connection.client.responses[stream])
        #expect(response.status == 413)
        #expect(response.header("content-type") == "application/problem+json")
        #expect(response.isClosed)
        #expect(connection.dispatcher.requests.isEmpty)
        #expect(connection.isOpen)
    }

    @Test func bodyStillArrivingAfter413IsDiscardedUntilTheClientEnds() throws {
        var limits = ConnectionLimits()
        limits.maxBodySize = 16 * 1024
        limits.initialWindowSize = 65_535
        let connection = try HTTP2TestConnection(limits: limits)
        let body = [UInt8](repeating: 0x61, count: 1_000_000)
        let stream = connection.client.request(method: "POST", path: "/big", body: body)
        try connection.exchange()
        let response = try #require(connection.client.responses[stream])
        #expect(response.status == 413)
        #expect(response.isComplete)
        #expect(connection.serverResets.isEmpty, "the whole upload was read and dropped")
        #expect(connection.dispatcher.requests.isEmpty)
        #expect(connection.isOpen)
    }

    @Test func bodyFarBeyondTheLimitAfter413IsResetWithNoError() throws {
        var limits = ConnectionLimits()
        limits.maxBodySize = 16 * 1024
        limits.initialWindowSize = 65_535
        let connection = try HTTP2TestConnection(limits: limits)
        let body = [UInt8](repeating: 0x61, count: 9 * 1024 * 1024)
        let stream = connection.client.request(method: "POST", path: "/big", body: body)
        try connection.exchange()
        let response = try #require(connection.client.responses[stream])
        #expect(response.status == 413)
        #expect(response.isComplete)
        #expect(connection.serverResets.map(\.stream) == [stream])
        #expect(connection.serverResets.first?.errorCode == NGHTTP2_NO_ERROR.rawValue)
        #expect(connection.dispatcher.requests.isEmpty)
        #expect(connection.isOpen)
    }

    @Test func outputPausesWhileTheChannelIsNotWritable() throws {
        let connection = try HTTP2TestConnection(mode: .hold)
        let stream = connection.client.request(path: "/download")
        try connection.exchange()
        connection.channel.isWritable = false
        let body = ByteBuffer(repeating: 0x62, count: 200_000)
        connection.dispatcher.answer(StreamID(stream), with: Response(status: .ok, body: body))
        try connection.exchange()
        #expect(connection.client.responses[stream]?.status == nil)
        connection.channel.isWritable = true
        connection.channel.pipeline.fireChannelWritabilityChanged()
        try connection.exchange()
        #expect(connection.client.responses[stream]?.body.count == 200_000)
        #expect(connection.client.responses[stream]?.isComplete == true)
    }

    @Test func headerListOverTheLimitGets431WithoutDispatch() throws {
        let connection = try HTTP2TestConnection()
        let big = String(repeating: "x", count: 17 * 1024)
        let stream = connection.client.request(path: "/", headers: [("x-big", big)])
        try connection.exchange()
        let response = try #require(connection.client.responses[stream])
        #expect(response.status == 431)
        #expect(response.bodyText.contains("Request header fields too large"))
        #expect(connection.dispatcher.requests.isEmpty)
        #expect(connection.isOpen)
    }

    @Test func clientResetCancelsTheDispatchedRequest() throws {
        let connection = try HTTP2TestConnection(mode: .hold)
        let stream = connection.client.request(path: "/slow")
        try connection.exchange()
        #expect(connection.dispatcher.requests.count == 1)
        connection.client.reset(stream)
        try connection.exchange()
        #expect(connection.dispatcher.cancelled == [StreamID(stream)])
        // A late answer for the reset stream is ignored.
        connection.dispatcher.answer(StreamID(stream), with: .text("late"))
        try connection.exchange()
        #expect(connection.client.responses[stream]?.status == nil)
        #expect(connection.isOpen)
    }

    @Test func closingTheChannelCancelsUnansweredStreams() throws {
        let connection = try HTTP2TestConnection(mode: .hold)
        let first = connection.client.request(path: "/a")
        let second = connection.client.request(path: "/b")
        try connection.exchange()
        connection.dispatcher.answer(StreamID(first), with: .text("a"))
        try connection.exchange()
        _ = try connection.channel.finish(acceptAlreadyClosed: true)
        #expect(connection.dispatcher.cancelled == [StreamID(second)])
    }
}
