import GatehouseRouting
import GatehouseTransport
import HTTPTypes
import NIOCore
import Synchronization

/// `POST /stream/echo`: writes each piece of the streamed request body back as soon as it is read.
struct StreamingEcho: Function {
    var requestBodyMode: RequestBodyMode { .streamed }

    func respond(to request: Request, context: RequestContext) async throws -> Response {
        let body = request.bodyStream
        return Response(
            head: HTTPResponse(status: .ok, headerFields: [.contentType: "application/octet-stream"]),
            body: ResponseBody { writer in
                for try await piece in body { try await writer.write(piece) }
            }
        )
    }
}

/// `GET /stream/produce?bytes=N`: N bytes (`downloadBytes`) produced 16 KiB at a time while they are sent; counts
/// how often its producer ran (``producerRuns``).
struct StreamingProduce: Function {
    static let producerRuns = Atomic<Int>(0)

    func respond(to request: Request, context: RequestContext) async throws -> Response {
        let count = request.query["bytes"].flatMap { Int($0) } ?? 0
        let bytes = ByteBuffer(bytes: downloadBytes(count))
        let failsAt = request.query["failAt"].flatMap { Int($0) }
        let body = ResponseBody(contentLength: count) { writer in
            Self.producerRuns.add(1, ordering: .relaxed)
            var offset = 0
            while offset < count {
                if let failsAt, offset >= failsAt { throw ProducerFailure() }
                let length = min(16 * 1024, count - offset)
                try await writer.write(bytes.getSlice(at: offset, length: length)!)
                offset += length
            }
        }
        return Response(head: HTTPResponse(status: .ok), body: body)
    }

    struct ProducerFailure: Error {}
}

/// `PUT /stream/probe?tag=T`: reads the streamed body until it ends or breaks off, and records how under the tag
/// (``outcomes``): `complete N`, `failed <error>` or `cancelled`.
struct StreamingProbe: Function {
    static let outcomes = Mutex<[String: String]>([:])
    static let received = Mutex<[String: Int]>([:])

    var requestBodyMode: RequestBodyMode { .streamed }

    func respond(to request: Request, context: RequestContext) async throws -> Response {
        let tag = request.query["tag"] ?? ""
        var count = 0
        do {
            for try await piece in request.bodyStream {
                count += piece.readableBytes
                Self.received.withLock { $0[tag] = count }
            }
            Self.outcomes.withLock { $0[tag] = "complete \(count)" }
            return .text("\(count)")
        } catch is CancellationError {
            Self.outcomes.withLock { $0[tag] = "cancelled" }
            throw CancellationError()
        } catch {
            Self.outcomes.withLock { $0[tag] = Task.isCancelled ? "cancelled" : "failed \(error)" }
            throw error
        }
    }
}
