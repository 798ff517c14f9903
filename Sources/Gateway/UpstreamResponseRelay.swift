import GatehouseClient
import GatehouseTransport
import HTTPTypes
import NIOCore

/// The upstream's response as the gateway answers its client with it: the head at once, the body streamed.
///
/// The body is read from the upstream only as the client takes it (``ResponseBodyWriter/write(_:)`` waits while the
/// client is behind, and the upstream's body is read only as it is asked for), so a response of any size holds a
/// bounded amount. Failures after the head can no longer become a 502: the client's response is broken off instead
/// (HTTP/1.1: the connection closes short of the body; HTTP/2: RST_STREAM), which the transport logs once.
enum UpstreamResponseRelay {
    /// The response for the client.
    /// - Parameters:
    ///   - upstream: the upstream's response, hop-by-hop fields removed, body still streaming.
    ///   - method: the client's request method (a `HEAD` answer has no body).
    ///   - maxBodySize: the largest body relayed, `nil` for no bound.
    ///   - name: the upstream's name, for errors.
    /// - Throws: ``UpstreamFailure`` (502) when the upstream announced a body longer than `maxBodySize`; the
    ///   upstream request is then abandoned.
    static func response(
        relaying upstream: UpstreamResponse,
        method: HTTPRequest.Method,
        maxBodySize: Int?,
        upstreamName name: String
    ) async throws -> Response {
        var head = upstream.head
        let code = head.status.code
        if method == .head || code == 204 || code == 304 {
            // Nothing follows the head: reading the end returns the connection to the pool.
            do {
                for try await _ in upstream.body {}
            } catch let error as ClientError {
                throw UpstreamFailure(error, upstream: name)
            }
            if method != .head { head.headerFields[.contentLength] = nil }
            return Response(head: head)
        }
        let length = head.headerFields[.contentLength].flatMap { Int($0) }
        if let maxBodySize, let length, length > maxBodySize {
            throw UpstreamFailure.badGateway(
                "the response body (Content-Length \(length)) is longer than maxResponseBodySize (\(maxBodySize))",
                upstream: name
            )
        }
        let body = upstream.body
        return Response(
            head: head,
            body: ResponseBody(contentLength: length) { writer in
                try await Self.relay(body, to: writer, maxBodySize: maxBodySize, upstreamName: name)
            }
        )
    }

    /// Writes the upstream's body to the client piece by piece, each read once the client took the previous one.
    /// - Throws: ``UpstreamFailure`` when the upstream's body breaks off, times out or grows past `maxBodySize`;
    ///   `CancellationError` when the request was cancelled (the client went away); ``StreamingBodyError`` when the
    ///   client can no longer receive. Either way the upstream request is abandoned as the body is dropped.
    static func relay(
        _ body: ClientResponseBody,
        to writer: ResponseBodyWriter,
        maxBodySize: Int?,
        upstreamName name: String
    ) async throws {
        var relayed = 0
        do {
            for try await piece in body {
                relayed += piece.readableBytes
                if let maxBodySize, relayed > maxBodySize {
                    throw UpstreamFailure.badGateway(
                        "the response body grew past maxResponseBodySize (\(maxBodySize))",
                        upstream: name
                    )
                }
                try await writer.write(piece)
            }
        } catch let error as ClientError {
            // Cancelled: the client went away, which is no failure of the upstream.
            if error.code == .cancelled { throw CancellationError() }
            throw UpstreamFailure(error, upstream: name, afterBytes: relayed)
        }
    }
}
