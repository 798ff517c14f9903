import Testing

@testable import GatehouseAuth

/// The syntax of Envoy's `X-Forwarded-Client-Cert`, byte by byte: quotes, escapes, separators, whitespace.
@Suite struct XFCCSyntaxTests {
    func elements(_ text: String) throws -> [[String: String]] {
        try XFCCSyntax.elements(of: Array(text.utf8)).map { element in
            element.mapValues { String(decoding: $0, as: UTF8.self) }
        }
    }

    @Test func quotedValuesHoldSeparatorsAndEscapedQuotes() throws {
        let parsed = try self.elements(#"By=spiffe://a;Subject="CN=x, O=\"y\";z";URI=spiffe://b"#)
        #expect(parsed == [["by": "spiffe://a", "subject": #"CN=x, O="y";z"#, "uri": "spiffe://b"]])
    }

    @Test func elementsAreSplitAtCommasOutsideQuotesAndKeysIgnoreCase() throws {
        let parsed = try self.elements(#"HASH=1;cert="a,b" ,  Hash=2 ; Cert=c"#)
        #expect(parsed == [["hash": "1", "cert": "a,b"], ["hash": "2", "cert": "c"]])
    }

    @Test(arguments: [
        "", "=x", "Cert", "Cert=a;;Hash=b", "Cert=a,", #"Cert="a"b"#, #"Cert=a"b"#, #"Cert="a\"#, "Cert=a;cert=b",
    ])
    func malformedFieldsAreRefused(_ text: String) {
        #expect(throws: ForwardedCertificateError.self, "\(text)") { try self.elements(text) }
    }
}
