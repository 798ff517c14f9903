import Benchmark
import GatehouseTransport
import HTTPTypes
import NIOCore

/// HTTP/2 request head → `Request`.
///
/// Gatehouse's own converter (`HTTP2RequestHeadBuilder`) is internal to Transport and stays so; this measures
/// the closest public equivalent: the same steps with the same public types — the decoded header fields of a
/// typical `GET` as nghttp2 hands them over (names and values as borrowed bytes), pseudo-headers matched bytewise
/// into `HTTPRequest`, the rest appended to `HTTPFields` (room for 8 reserved at the first), then
/// `Request(head:)`. Gatehouse also takes the names of common fields ready-made instead of parsing them; the
/// replica parses every name, so it is an upper bound.
func registerRequestHeadBenchmarks() {
    let fields: [(name: [UInt8], value: [UInt8])] = [
        (":method", "GET"), (":scheme", "https"), (":authority", "127.0.0.1:8443"),
        (":path", "/api/hello?name=bench"), ("user-agent", "h2load nghttp2/1.52.0"), ("accept", "*/*"),
        ("accept-encoding", "gzip, deflate"),
    ].map { (Array($0.0.utf8), Array($0.1.utf8)) }

    Benchmark("HTTP2RequestHead.toRequestPublicEquivalent", configuration: .kiloIterations) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(makeRequest(fields))
        }
    }
}

/// The public-API replica of `HTTP2RequestHeadBuilder.append` + `build` + `Request(head:)`.
@inline(never)
func makeRequest(_ fields: [(name: [UInt8], value: [UInt8])]) -> Request? {
    var method: String?
    var scheme: String?
    var authority: String?
    var path: String?
    var headerFields = HTTPFields()
    for field in fields {
        if field.name.first == UInt8(ascii: ":") {
            let value = String(decoding: field.value, as: UTF8.self)
            if field.name.elementsEqual(":method".utf8), method == nil {
                method = value
            } else if field.name.elementsEqual(":path".utf8), path == nil {
                path = value
            } else if field.name.elementsEqual(":scheme".utf8), scheme == nil {
                scheme = value
            } else if field.name.elementsEqual(":authority".utf8), authority == nil {
                authority = value
            } else {
                return nil
            }
        } else if let name = HTTPField.Name(parsed: String(decoding: field.name, as: UTF8.self)) {
            if headerFields.isEmpty { headerFields.reserveCapacity(8) }
            headerFields.append(HTTPField(name: name, value: field.value))
        } else {
            return nil
        }
    }
    guard let rawMethod = method, let parsed = HTTPRequest.Method(rawMethod), scheme != nil, path != nil else {
        return nil
    }
    let head = HTTPRequest(
        method: parsed,
        scheme: scheme,
        authority: authority,
        path: path,
        headerFields: headerFields
    )
    return Request(head: head)
}
