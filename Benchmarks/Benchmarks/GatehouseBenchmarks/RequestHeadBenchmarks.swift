import Benchmark
import HTTPTypes
import NIOCore
import Transport

/// HTTP/2 request head → `Request`.
///
/// Gatehouse's own converter (`HTTP2RequestHeadBuilder`) is internal to Transport and stays so; this measures
/// the closest public equivalent: the same steps with the same public types — the decoded header fields of a
/// typical `GET` (as nghttp2 hands them over: names as strings, values as bytes), pseudo-headers into
/// `HTTPRequest`, the rest appended to `HTTPFields`, then `Request(head:)`.
func registerRequestHeadBenchmarks() {
    let fields: [(name: String, value: [UInt8])] = [
        (":method", Array("GET".utf8)), (":scheme", Array("https".utf8)),
        (":authority", Array("127.0.0.1:8443".utf8)), (":path", Array("/api/hello?name=bench".utf8)),
        ("user-agent", Array("h2load nghttp2/1.52.0".utf8)), ("accept", Array("*/*".utf8)),
        ("accept-encoding", Array("gzip, deflate".utf8)),
    ]

    Benchmark("HTTP/2 request head to Request (public equivalent)", configuration: .kiloIterations) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(makeRequest(fields))
        }
    }
}

/// The public-API replica of `HTTP2RequestHeadBuilder.append` + `build` + `Request(head:)`.
@inline(never)
func makeRequest(_ fields: [(name: String, value: [UInt8])]) -> Request? {
    var method: String?, scheme: String?, authority: String?, path: String?
    var headerFields = HTTPFields()
    for field in fields {
        if field.name.hasPrefix(":") {
            let value = String(decoding: field.value, as: UTF8.self)
            switch field.name {
            case ":method" where method == nil: method = value
            case ":scheme" where scheme == nil: scheme = value
            case ":authority" where authority == nil: authority = value
            case ":path" where path == nil: path = value
            default: return nil
            }
        } else if let name = HTTPField.Name(field.name) {
            headerFields.append(HTTPField(name: name, value: field.value))
        } else {
            return nil
        }
    }
    guard let rawMethod = method, let parsed = HTTPRequest.Method(rawMethod), scheme != nil, path != nil else {
        return nil
    }
    let head = HTTPRequest(method: parsed, scheme: scheme, authority: authority, path: path,
                           headerFields: headerFields)
    return Request(head: head)
}
