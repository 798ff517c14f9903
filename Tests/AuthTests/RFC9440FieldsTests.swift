import Foundation
import GatehouseCertificates
import HTTPTypes
import TestSupport
import Testing

@testable import GatehouseAuth

/// RFC 9440's fields as structured values: parameters ignored, anything but byte sequences refused, the chain
/// across several field lines, and the bounds.
@Suite struct RFC9440FieldsTests {
    let pki: TestPKI

    init() throws {
        self.pki = try TestPKI.shared()
    }

    func binary(_ certificate: Certificate) -> String { ":" + Data(certificate.derBytes).base64EncodedString() + ":" }

    func chain(_ values: [(String, String)], limits: ForwardedChainLimits = ForwardedChainLimits()) throws
        -> [Certificate]
    {
        var fields = HTTPFields()
        for (name, value) in values { fields.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
        return try RFC9440Fields.chain(in: fields, limits: limits)
    }

    @Test func readsTheLeafAndAChainSplitOverTwoLinesIgnoringParameters() throws {
        let leaf = self.pki.client.certificate
        let chain = try self.chain([
            ("Client-Cert", self.binary(leaf) + ";origin=lb"),
            ("Client-Cert-Chain", self.binary(self.pki.intermediateCA)),
            ("Client-Cert-Chain", self.binary(self.pki.rootCA) + ";x=1"),
        ])
        #expect(chain == [leaf, self.pki.intermediateCA, self.pki.rootCA])
        #expect(try self.chain([]) == [])
    }

    @Test(arguments: [
        [("Client-Cert", "\"a string\"")],
        [("Client-Cert", "(:AAAA:)")],
        [("Client-Cert", ":not base64!:")],
        [("Client-Cert", "::")],
        [("Client-Cert", ":AAAA:"), ("Client-Cert", ":AAAA:")],
        [("Client-Cert-Chain", ":AAAA:")],
    ])
    func malformedFieldsAreRefused(_ values: [(String, String)]) {
        #expect(throws: ForwardedCertificateError.self, "\(values)") { try self.chain(values) }
    }

    @Test func anInnerListOrAStringInTheChainIsRefused() {
        let leaf = ("Client-Cert", self.binary(self.pki.client.certificate))
        for chain in ["(\(self.binary(self.pki.intermediateCA)))", "\"x\"", "token"] {
            #expect(throws: ForwardedCertificateError.self, "\(chain)") {
                try self.chain([leaf, ("Client-Cert-Chain", chain)])
            }
        }
    }

    @Test func theBoundsCountTheLeafAndEveryDERByte() throws {
        let leaf = ("Client-Cert", self.binary(self.pki.client.certificate))
        let chain = ("Client-Cert-Chain", self.binary(self.pki.intermediateCA))
        #expect(try self.chain([leaf, chain], limits: ForwardedChainLimits(maxCertificates: 2)).count == 2)
        #expect(throws: ForwardedCertificateError.self) {
            try self.chain([leaf, chain], limits: ForwardedChainLimits(maxCertificates: 1))
        }
        let bytes = self.pki.client.certificate.derBytes.count + self.pki.intermediateCA.derBytes.count
        #expect(try self.chain([leaf, chain], limits: ForwardedChainLimits(maxBytes: bytes)).count == 2)
        #expect(throws: ForwardedCertificateError.self) {
            try self.chain([leaf, chain], limits: ForwardedChainLimits(maxBytes: bytes - 1))
        }
    }
}
