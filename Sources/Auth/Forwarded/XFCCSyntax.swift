/// The syntax of `X-Forwarded-Client-Cert`: elements separated by `,`, pairs by `;`, a key from its value by the
/// first `=`; a value in double quotes may hold `,`, `;` and `=`, and `\` escapes the next byte inside quotes.
/// Spaces and tabs around elements and pairs are skipped (two header lines are joined with `, `).
enum XFCCSyntax {
    /// One element's pairs by lower-cased key.
    typealias Element = [String: [UInt8]]

    /// The elements of `field`, in order.
    /// - Throws: ``ForwardedCertificateError`` for an empty element or pair, a pair without `=`, an unterminated
    ///   quote, a quote inside an unquoted value, or a key given twice in one element.
    static func elements(of field: [UInt8]) throws(ForwardedCertificateError) -> [Element] {
        var scanner = Scanner(bytes: field)
        var elements: [Element] = []
        var element: Element = [:]
        while true {
            scanner.skipWhitespace()
            let key = scanner.key()
            guard !key.isEmpty, scanner.take(UInt8(ascii: "=")) else { throw Self.error("expected Key=value") }
            let value = try scanner.value()
            let name = String(decoding: key, as: UTF8.self).lowercased()
            guard element.updateValue(value, forKey: name) == nil else { throw Self.error("\(name) given twice") }
            scanner.skipWhitespace()
            if scanner.isAtEnd {
                elements.append(element)
                return elements
            }
            if scanner.take(UInt8(ascii: ",")) {
                elements.append(element)
                element = [:]
            } else if !scanner.take(UInt8(ascii: ";")) {
                throw Self.error("expected ; or , after a value")
            }
        }
    }

    private static func error(_ problem: String) -> ForwardedCertificateError {
        ForwardedCertificateError("X-Forwarded-Client-Cert: \(problem)")
    }

    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        var isAtEnd: Bool { self.index == self.bytes.count }

        mutating func skipWhitespace() {
            while !self.isAtEnd, self.bytes[self.index] == UInt8(ascii: " ") || self.bytes[self.index] == 0x09 {
                self.index += 1
            }
        }

        mutating func take(_ byte: UInt8) -> Bool {
            guard !self.isAtEnd, self.bytes[self.index] == byte else { return false }
            self.index += 1
            return true
        }

        /// Letters, digits, `-` and `_`.
        mutating func key() -> ArraySlice<UInt8> {
            let start = self.index
            while !self.isAtEnd, Self.isKeyByte(self.bytes[self.index]) { self.index += 1 }
            return self.bytes[start..<self.index]
        }

        /// A quoted value without its quotes and escapes, or the bytes up to the next `;` or `,`.
        mutating func value() throws(ForwardedCertificateError) -> [UInt8] {
            guard self.take(UInt8(ascii: "\"")) else {
                let start = self.index
                while !self.isAtEnd, self.bytes[self.index] != UInt8(ascii: ";"),
                    self.bytes[self.index] != UInt8(ascii: ",")
                {
                    guard self.bytes[self.index] != UInt8(ascii: "\"") else {
                        throw XFCCSyntax.error("a quote inside an unquoted value")
                    }
                    self.index += 1
                }
                var end = self.index
                while end > start, self.bytes[end - 1] == UInt8(ascii: " ") || self.bytes[end - 1] == 0x09 { end -= 1 }
                return Array(self.bytes[start..<end])
            }
            var value: [UInt8] = []
            while !self.isAtEnd {
                let byte = self.bytes[self.index]
                self.index += 1
                if byte == UInt8(ascii: "\"") { return value }
                if byte == UInt8(ascii: "\\") {
                    guard !self.isAtEnd else { break }
                    value.append(self.bytes[self.index])
                    self.index += 1
                } else {
                    value.append(byte)
                }
            }
            throw XFCCSyntax.error("unterminated quoted value")
        }

        private static func isKeyByte(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
                true
            default: false
            }
        }
    }
}
