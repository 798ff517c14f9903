import Benchmark
import GatehouseCertificates

/// Parsing RFC 4514 text into a `DistinguishedName`, and comparing names (what `subject` identities do).
func registerDistinguishedNameBenchmarks() {
    let text = "CN=bench-client, OU=Payments, O=Gatehouse Bench, L=Zurich, C=CH"

    Benchmark("DistinguishedName.parse5RDNs", configuration: .kiloIterations) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try DistinguishedName(parsing: text))
        }
    }

    Benchmark("DistinguishedName.compareDifferentSpelling", configuration: .kiloIterations) { benchmark in
        let configured = try DistinguishedName(parsing: text)
        let presented = try DistinguishedName(parsing: "cn=bench-client,ou=Payments,o=Gatehouse  Bench,l=Zurich,c=CH")
        guard configured == presented else { throw BenchmarkFailure("the two spellings differ as names") }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(configured == presented)
        }
    }
}
