/// The fuzz targets: each takes arbitrary bytes and must return normally, whatever they hold. A trap (crash, failed
/// precondition, sanitizer report) is a finding.
///
/// The libFuzzer driver (`GatehouseFuzz`, built by Fuzz/run.sh) and the corpus replay tests (`FuzzReplayTests`)
/// call the same ``run(_:)``, so an input found once stays a regression test.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// HTTP/1.x request bytes through the request parser, whole and split, and the request machine.
    case http1
    /// HTTP/1.x request bytes through our parser and NIOHTTP1's, compared request by request.
    case http1Differential = "http1-differential"
    /// HTTP/1.x response bytes through the client's response parser, whole and split.
    case http1Response = "http1-response"
    /// YAML text through the configuration loader.
    case configuration
    /// RFC 4514 text through the distinguished-name parser, printed and parsed again.
    case distinguishedName = "distinguished-name"
    /// PEM, DER and PKCS#12 bytes through the certificate, CRL and key loaders.
    case certificates

    /// The targets this build can run: the HTTP/1.x ones need a testable (debug) build of Transport.
    public static var available: [FuzzTarget] {
        #if GATEHOUSE_TESTABLE
            Self.allCases
        #else
            Self.allCases.filter { $0 != .http1 && $0 != .http1Differential }
        #endif
    }

    /// Feeds `input` to the target.
    public func run(_ input: UnsafeRawBufferPointer) {
        switch self {
        case .http1:
            #if GATEHOUSE_TESTABLE
                HTTP1ParserTarget.run(input)
            #else
                break
            #endif
        case .http1Differential:
            #if GATEHOUSE_TESTABLE
                HTTP1DifferentialTarget.run(input)
            #else
                break
            #endif
        case .http1Response:
            HTTP1ResponseTarget.run(input)
        case .configuration:
            ConfigurationTarget.run(input)
        case .distinguishedName:
            DistinguishedNameTarget.run(input)
        case .certificates:
            CertificatesTarget.run(input)
        }
    }
}
