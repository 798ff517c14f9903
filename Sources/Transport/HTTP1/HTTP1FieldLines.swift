import HTTPTypes

/// Field lines as both directions write them: the server's response encoder and the client's request encoder.
///
/// A field keeps the name it was given (`HTTPField.Name`'s raw name: the predefined names are spelt `Content-Type`,
/// a user's own as written); the fields the encoders add themselves are spelt the same way, in their canonical
/// mixed case: `Host`, `Date`, `Content-Length`, `Connection`. `HTTPFields` has already refused CR and LF in names
/// and values, so a field line cannot split the message.
enum HTTP1FieldLines {
    /// The bytes `field` takes as a field line, CRLF included.
    @inline(__always)
    static func size(of field: HTTPField) -> Int {
        field.name.rawName.utf8.count + 2 + field.value.utf8.count + 2
    }

    /// Appends `name: value` CRLF.
    @inline(__always)
    static func append(_ field: HTTPField, to cursor: inout ByteCursor) {
        cursor.append(field.name.rawName)
        cursor.append(": ")
        cursor.append(field.value)
        cursor.append("\r\n")
    }

    /// The most bytes a `Content-Length` field line takes.
    static let maxContentLengthSize = 16 + ByteCursor.maxDecimalLength + 2

    /// Appends `Content-Length: length` CRLF.
    @inline(__always)
    static func appendContentLength(_ length: Int, to cursor: inout ByteCursor) {
        cursor.append("Content-Length: ")
        cursor.appendDecimal(length)
        cursor.append("\r\n")
    }
}
