import Testing

@testable import GatehouseTransport

@Suite("HostValidation")
struct HostValidationTests {
    @Test(arguments: [
        "localhost", "localhost:8443", "localhost:", "api.example.com", "a-b_c~d.e", "xn--bcher-kva.example",
        "%41bc", "sub!$&'()*+,;=delims", "127.0.0.1", "127.0.0.1:443", "999.1.1.1",  // a reg-name, as RFC 3986 says
        "[::1]", "[::1]:8443", "[::]", "[2001:db8::8a2e:370:7334]", "[1:2:3:4:5:6:7:8]", "[1::]", "[::ffff:192.0.2.1]",
        "[1:2:3:4:5:6:192.0.2.1]", "[v1.fe80::a+b]", "[V7.x]:1",
    ])
    func validAuthorities(authority: String) {
        #expect(HostValidation.isValidAuthority(authority))
    }

    @Test(arguments: [
        "", "a b", "localhost:abc", "localhost:80:80", "user@localhost", "user:pass@localhost", ":80", ":",
        "local/host", "local?host", "local#host", "%4", "%zz", "é.example", "host\t", "[::1", "::1", "[::1]x",
        "[::1]:a", "[]", "[:]", "[:1]", "[1:]", "[:::]", "[1::2::3]", "[1:2:3:4:5:6:7:8:9]", "[1:2:3:4:5:6:7]",
        "[12345::]",
        "[1.2.3.4]", "[::1.2.3]", "[::1.2.3.4.5]", "[::256.1.1.1]", "[::01.1.1.1]", "[fe80::1%25eth0]", "[v1.]",
        "[v.x]", "[vg.x]",
    ])
    func invalidAuthorities(authority: String) {
        #expect(!HostValidation.isValidAuthority(authority))
    }

    @Test func regNameBitSetsMatchTheCharacterClasses() {
        for byte in UInt8.min...UInt8.max {
            let expected = HostValidation.isUnreserved(byte) || HostValidation.isSubDelimiter(byte)
            #expect(HostValidation.isRegNameCharacter(byte) == expected, "byte \(byte)")
        }
    }
}
