package import HTTPTypes
package import NIOCore

extension HTTPRequest {
    /// Appends this request's HTTP/1.1 head, for a body of `bodyLength` bytes sent behind it, to `buffer`.
    ///
    /// The request line carries the method and the path (`/` when there is none); `Host` comes first, from the
    /// authority; then the fields, except `Transfer-Encoding` (the body is always framed by its length); then
    /// `Content-Length` unless the fields carry one, when there is a body or the method expects one (`POST`, `PUT`,
    /// `PATCH`: a server may refuse those without a length). Field lines are written by the server's code,
    /// ``HTTP1FieldLines``. `HTTPRequest` has already refused CR, LF and NUL in the method, path and fields.
    package func writeHTTP1Head(bodyLength: Int, into buffer: inout ByteBuffer) {
        // Read once: `HTTPRequest` decodes its pseudo-header fields on every read.
        let method = self.method
        let path = self.path ?? "/"
        let authority = self.authority
        let fields = self.headerFields
        var size = method.rawValue.utf8.count + 1 + path.utf8.count + 1 + 8 + 2 + 2
        if let authority { size += 6 + authority.utf8.count + 2 }
        var hasLength = false
        for field in fields {
            switch field.name {
            case .transferEncoding: continue
            case .contentLength: hasLength = true
            default: break
            }
            size += HTTP1FieldLines.size(of: field)
        }
        let writesLength = !hasLength && (bodyLength > 0 || [.post, .put, .patch].contains(method))
        if writesLength { size += HTTP1FieldLines.maxContentLengthSize }

        buffer.writeWithCursor(reserving: size) { cursor in
            cursor.append(method.rawValue)
            cursor.append(HTTP1Syntax.space)
            cursor.append(path)
            cursor.append(" HTTP/1.1\r\n")
            if let authority {
                cursor.append("Host: ")
                cursor.append(authority)
                cursor.append("\r\n")
            }
            for field in fields where field.name != .transferEncoding {
                HTTP1FieldLines.append(field, to: &cursor)
            }
            if writesLength { HTTP1FieldLines.appendContentLength(bodyLength, to: &cursor) }
            cursor.append("\r\n")
        }
    }
}
